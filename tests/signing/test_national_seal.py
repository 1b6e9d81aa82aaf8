"""The agency's seal from its own token, with a certificate of the (test) national CA.

The agency got a token from the national CA: a key made on it and the certificate the
subordinate CA for state agencies issued. `seal_token_register` checks that certificate and
records it; issuance then seals with it (PAdES B-LTA, the national CA's CRLs and OCSP answers
embedded). With the leader's signature from a USB token too, and the national time-stamping
service, the issued PDF validates for a recipient that trusts only the national root.
"""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import pkcs11
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.db import transaction
from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass
from pkcs11.util.rsa import encode_rsa_public_key

from agencies.errors import StateError
from agencies.models import Unit, User
from signing import services as signing
from signing.models import Credential
from signing.pkcs11 import Pkcs11Config, Pkcs11SealProvider, seal_token_register
from signing.seal import seal_provider
from signing.services import PERSON_SIGNATURE_FIELD, SEAL_SIGNATURE_FIELD

from .independent import dss_counts, validate_offline
from .national_pki import NationalTestPki
from .softhsm import _spki_from_pkcs1
from .test_pkcs11_seal import province, vice_chairman  # noqa: F401
from .token_key import TokenKey

pytestmark = pytest.mark.django_db

_labels = itertools.count(1)


def national_seal_in_token(
    config: Pkcs11Config, pki: NationalTestPki, unit: Unit
) -> tuple[str, x509.Certificate]:
    """Make a key on the seal token, have the national CA certify it, store it next to the key."""
    label = f"con-dau-quoc-gia-{next(_labels)}"
    key_id = hashlib.sha256(label.encode()).digest()[:8]
    token = pkcs11.lib(config.module_path).get_token(token_label=config.token_label)
    with token.open(rw=True, user_pin=config.pin) as session:
        public, _private = session.generate_keypair(
            KeyType.RSA,
            2048,
            store=True,
            label=label,
            id=key_id,
            private_template={
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: False,
                Attribute.SIGN: True,
            },
        )
        public_key = serialization.load_der_public_key(
            _spki_from_pkcs1(encode_rsa_public_key(public))
        )
        certificate = pki.issue_seal(unit.name, public_key)
        for stored, object_label, object_id in (
            (certificate, label, key_id),
            *((c, f"CA {i}", b"") for i, c in enumerate(pki.chain)),
        ):
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: False,
                    Attribute.LABEL: object_label,
                    Attribute.ID: object_id,
                    Attribute.SUBJECT: stored.subject.public_bytes(),
                    Attribute.ISSUER: stored.issuer.public_bytes(),
                    Attribute.VALUE: stored.public_bytes(serialization.Encoding.DER),
                }
            )
    return label, certificate


@pytest.fixture
def national_seal(
    pkcs11_settings: Pkcs11Config,
    settings: Any,
    national_ca: NationalTestPki,
    province: Unit,  # noqa: F811
) -> x509.Certificate:
    label, certificate = national_seal_in_token(pkcs11_settings, national_ca, province)
    settings.SEAL_PKCS11_KEY_LABEL = label
    return certificate


def test_the_seal_certificate_of_the_national_ca_is_registered_with_its_chain(
    national_seal: x509.Certificate,
    national_ca: NationalTestPki,
    province: Unit,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    # when the administrator registers the token's certificate
    call_command("seal_token_register", "--unit", province.code)
    # then it is the unit's seal credential, with the national chain and no key on the server
    credential = Credential.objects.get(kind=Credential.Kind.SEAL, unit=province)
    assert credential.serial_number == format(national_seal.serial_number, "x")
    assert credential.private_key_encrypted == ""
    assert x509.load_pem_x509_certificates(credential.chain_pem.encode()) == national_ca.chain
    assert credential.serial_number in capsys.readouterr().out
    # and the seal signs with the token's key and that chain
    provider = seal_provider(unit=province)
    assert isinstance(provider, Pkcs11SealProvider)
    assert list(provider.chain) == national_ca.chain
    # and registering again changes nothing
    assert seal_token_register(unit=province).pk == credential.pk


def test_a_revoked_seal_certificate_is_refused(
    national_seal: x509.Certificate,
    national_ca: NationalTestPki,
    province: Unit,  # noqa: F811
) -> None:
    # given a registered seal certificate that the national CA then revokes
    seal_token_register(unit=province)
    national_ca.revoke(national_seal)
    signing._fetcher.cache_clear()  # the CA's next answers
    # then sealing stops with the CA's word
    with pytest.raises(StateError) as refused:
        seal_provider(unit=province)
    assert refused.value.code == "certificate_revoked"
    assert "thu hồi" in refused.value.message
    # and it cannot be registered either
    Credential.objects.all().delete()
    with pytest.raises(StateError) as again:
        seal_token_register(unit=province)
    assert again.value.code == "certificate_revoked"


def test_an_unregistered_foreign_seal_certificate_is_not_used(
    national_seal: x509.Certificate,
    province: Unit,  # noqa: F811
) -> None:
    with pytest.raises(StateError) as refused:
        seal_provider(unit=province)
    assert refused.value.code == "seal_credential_missing"


def test_a_plan_signed_by_token_and_sealed_by_the_agency_token_validates_on_the_national_root(
    national_seal: x509.Certificate,
    national_ca: NationalTestPki,
    province: Unit,  # noqa: F811
    vice_chairman: User,  # noqa: F811
    plan_pdf: bytes,
    settings: Any,
) -> None:
    # given the national time-stamping service, the agency's seal registered, and the leader's
    # USB token enrolled
    settings.SIGNING_TSA_URL = national_ca.tsa_url
    seal_token_register(unit=province)
    token = TokenKey(national_ca, vice_chairman.full_name)
    device = token.enrol(vice_chairman)
    # when the leader signs through the hash-signing provider
    pending = signing.signing_session_prepare(
        user=vice_chairman,
        device_id=device.pk,
        pdf=plan_pdf,
        position_line="PHÓ CHỦ TỊCH",
        document_id=1,
        version_id=1,
        version_number=1,
        content_sha256="0" * 64,
    )
    with transaction.atomic():
        session = signing.signing_session_get(session_id=pending.session.id, user=vice_chairman)
        signed = signing.signing_session_finish(
            session=session, signature=token.sign_digest(pending.to_be_signed)
        )
    # and the clerk issues it with the agency's seal
    issued = signing.pdf_issue_with_seal(
        pdf=signed, unit=province, number_text="15", date_text="ngày 06 tháng 12 năm 2026"
    )
    # then the issued PDF carries the national CA's revocation data
    counts = dss_counts(issued)
    assert counts["crls"] >= 2 and counts["ocsps"] >= 2, counts
    # and a recipient's pyHanko, trusting only the national root and fetching nothing, finds the
    # leader's signature, the seal and the document time-stamp valid
    statuses = validate_offline(issued, national_ca.root.certificate)
    assert set(statuses) == {
        PERSON_SIGNATURE_FIELD,
        SEAL_SIGNATURE_FIELD,
        f"{SEAL_SIGNATURE_FIELD}_timestamp",
    }
    leader = statuses[PERSON_SIGNATURE_FIELD]
    assert leader.bottom_line, leader.pretty_print_details()
    assert leader.modification_level.name == "FORM_FILLING"
    seal = statuses[SEAL_SIGNATURE_FIELD]
    assert seal.bottom_line, seal.pretty_print_details()
    assert seal.signing_cert.subject.native["common_name"] == province.name
    timestamp = statuses[f"{SEAL_SIGNATURE_FIELD}_timestamp"]
    assert timestamp.intact and timestamp.valid and timestamp.trusted
    # and our own verification agrees
    assert all(r.bottom_line for r in signing.pdf_verify(pdf=issued))
