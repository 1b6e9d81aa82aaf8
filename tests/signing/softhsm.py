"""SoftHSM2 tokens for tests: a token directory of their own, keys made on the token.

A person's USB token is a SoftHSM2 token here: `SoftHsm(directory)` has its own SOFTHSM2_CONF,
`init_token` creates a token, `generate_key` makes an RSA key pair on it (sensitive, never
extractable) and returns the public key to certify, `store_certificates` writes the certificate
next to the key (same CKA_ID) with the CA certificates, as the national CA delivers its tokens.
`delete_token` pulls the token out.

SoftHSM2 reads SOFTHSM2_CONF once per process, so the token work runs in a short subprocess
(`python -m tests.signing.softhsm`) with this directory's configuration: the test process may
already have loaded SoftHSM2 for another directory (the seal's).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
SO_PIN = "12345678"
ROOT = Path(__file__).resolve().parents[2]


def require_softhsm() -> None:
    """Fail (never skip) without SoftHSM2: scripts/install.sh installs it, CI must run these."""
    if shutil.which("softhsm2-util") is None or not Path(MODULE).exists():
        import pytest

        pytest.fail(
            "SoftHSM2 is missing (softhsm2-util or libsofthsm2.so): install the Debian package "
            "softhsm2, e.g. with scripts/install.sh."
        )


class SoftHsm:
    """A SoftHSM2 token directory and its configuration file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        (directory / "tokens").mkdir(parents=True, exist_ok=True)
        self.conf = directory / "softhsm2.conf"
        self.conf.write_text(
            f"directories.tokendir = {directory / 'tokens'}\n"
            "objectstore.backend = file\n"
            "log.level = ERROR\n"
        )

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SOFTHSM2_CONF": str(self.conf)}

    def _util(self, *arguments: str) -> None:
        subprocess.run(["softhsm2-util", *arguments], check=True, capture_output=True, env=self.env)

    def init_token(self, label: str, pin: str) -> None:
        self._util("--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", SO_PIN)

    def delete_token(self, label: str) -> None:
        """Pull the token out: it disappears from the slot list of every process."""
        self._util("--delete-token", "--token", label)

    def _run(self, instruction: dict[str, Any]) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "tests.signing.softhsm", json.dumps(instruction)],
            check=True,
            capture_output=True,
            env=self.env,
            cwd=ROOT,
            text=True,
        )
        return json.loads(done.stdout)

    def generate_key(self, token: str, pin: str, label: str, key_id: bytes) -> Any:
        """An RSA-2048 key pair made on the token; returns its public key (`cryptography`)."""
        answer = self._run(
            {"do": "generate", "token": token, "pin": pin, "label": label, "id": key_id.hex()}
        )
        return serialization.load_der_public_key(base64.b64decode(answer["public_key"]))

    def store_certificates(
        self,
        token: str,
        pin: str,
        label: str,
        key_id: bytes,
        certificate: x509.Certificate,
        ca_certificates: list[x509.Certificate],
    ) -> None:
        def der(c: x509.Certificate) -> str:
            return base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()

        self._run(
            {
                "do": "store",
                "token": token,
                "pin": pin,
                "label": label,
                "id": key_id.hex(),
                "certificate": der(certificate),
                "ca_certificates": [der(c) for c in ca_certificates],
            }
        )


def _main(instruction: dict[str, Any]) -> dict[str, Any]:
    """Run in a subprocess whose SOFTHSM2_CONF is the token directory's."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass

    token = pkcs11.lib(MODULE).get_token(token_label=instruction["token"])
    key_id = bytes.fromhex(instruction["id"])
    with token.open(rw=True, user_pin=instruction["pin"]) as session:
        if instruction["do"] == "generate":
            public, _private = session.generate_keypair(
                KeyType.RSA,
                2048,
                store=True,
                label=instruction["label"],
                id=key_id,
                private_template={
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.SIGN: True,
                    Attribute.PRIVATE: True,
                },
            )
            from pkcs11.util.rsa import encode_rsa_public_key

            rsa_public = serialization.load_der_public_key(
                _spki_from_pkcs1(encode_rsa_public_key(public))
            )
            spki = rsa_public.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            return {"public_key": base64.b64encode(spki).decode()}
        certificates = [(instruction["certificate"], instruction["label"], key_id)] + [
            (c, f"CA {index}", b"") for index, c in enumerate(instruction["ca_certificates"])
        ]
        for encoded, label, object_id in certificates:
            parsed = x509.load_der_x509_certificate(base64.b64decode(encoded))
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: False,
                    Attribute.LABEL: label,
                    Attribute.ID: object_id,
                    Attribute.SUBJECT: parsed.subject.public_bytes(),
                    Attribute.ISSUER: parsed.issuer.public_bytes(),
                    Attribute.VALUE: base64.b64decode(encoded),
                }
            )
        return {"ok": True}


def _spki_from_pkcs1(pkcs1: bytes) -> bytes:
    """Wrap an RSAPublicKey (PKCS#1) in a SubjectPublicKeyInfo."""
    from asn1crypto import keys

    return keys.PublicKeyInfo(
        {
            "algorithm": {"algorithm": "rsa"},
            "public_key": keys.RSAPublicKey.load(pkcs1),
        }
    ).dump()


if __name__ == "__main__":
    sys.stdout.write(json.dumps(_main(json.loads(sys.argv[1]))))
