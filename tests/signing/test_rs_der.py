"""ECDSA signature encodings: WebCrypto's r‖s (IEEE P1363) to DER and back, and checking values."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed,
    decode_dss_signature,
    encode_dss_signature,
)

from signing import ca as ca_lib
from signing.providers import (
    BrowserKeyProvider,
    HashSigningProvider,
    InvalidSignatureValue,
    ecdsa_der_to_raw,
    ecdsa_raw_to_der,
    signature_value_check,
)
from tests.signing.browser_key import raw_signature

from .helpers import Pki

P256 = ec.SECP256R1()

# A known vector: r has a leading zero byte (a 31-byte integer), s has its top bit set, so DER
# must drop the zero of r and add a zero in front of s.
R = 0x0071E2D3C4B5A697887766554433221100FFEEDDCCBBAA998877665544332211
S = 0x8000000000000000000000000000000000000000000000000000000000000001
RAW = R.to_bytes(32, "big") + S.to_bytes(32, "big")


def test_known_r_and_s_convert_exactly_as_cryptography_encodes_them() -> None:
    # when
    der = ecdsa_raw_to_der(RAW, curve=P256)
    # then
    assert der == encode_dss_signature(R, S)
    assert der.hex().startswith("3044021f71")  # SEQUENCE; INTEGER r of 31 bytes, no zero
    assert "02210080" in der.hex()  # INTEGER of 33 bytes: 0x00 then s's top byte 0x80
    assert decode_dss_signature(der) == (R, S)
    assert ecdsa_der_to_raw(der, curve=P256) == RAW


def test_a_webcrypto_style_signature_verifies_after_conversion() -> None:
    # given a P-256 key and a raw r‖s signature, as crypto.subtle.sign returns it
    key = ec.generate_private_key(P256)
    data = b"\x31\x45 signed attributes"
    raw = raw_signature(key, data)
    assert len(raw) == 64
    # when
    der = ecdsa_raw_to_der(raw, curve=P256)
    # then
    key.public_key().verify(der, data, ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("length", [0, 1, 32, 63, 65, 96, 128])
def test_raw_values_of_the_wrong_length_are_refused(length: int) -> None:
    with pytest.raises(InvalidSignatureValue):
        ecdsa_raw_to_der(b"\x01" * length, curve=P256)


def test_zero_r_or_s_is_refused() -> None:
    with pytest.raises(InvalidSignatureValue):
        ecdsa_raw_to_der(bytes(32) + b"\x01" * 32, curve=P256)
    with pytest.raises(InvalidSignatureValue):
        ecdsa_raw_to_der(b"\x01" * 32 + bytes(32), curve=P256)


def test_p384_uses_48_byte_halves() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    der = key.sign(b"data", ec.ECDSA(hashes.SHA256()))
    raw = ecdsa_der_to_raw(der, curve=ec.SECP384R1())
    assert len(raw) == 96
    assert ecdsa_raw_to_der(raw, curve=ec.SECP384R1()) == der
    with pytest.raises(InvalidSignatureValue):
        ecdsa_raw_to_der(raw, curve=P256)


def test_der_that_is_not_an_ecdsa_signature_is_refused() -> None:
    with pytest.raises(InvalidSignatureValue):
        ecdsa_der_to_raw(b"\x30\x03\x02\x01", curve=P256)


def _certified(pki: Pki) -> tuple[ec.EllipticCurvePrivateKey, BrowserKeyProvider]:
    """A browser's key, certified by the test CA, and the provider that answers for it."""
    key = ec.generate_private_key(P256)
    certificate = ca_lib.ca_issue_signing_certificate(
        ca=pki.root,
        public_key=key.public_key(),
        common_name="Nguyễn Văn A",
        organisation="Ủy ban nhân dân tỉnh Đồng Nai",
        now=datetime.now(UTC),
    )
    return key, BrowserKeyProvider(certificate=certificate, chain=[pki.root.certificate])


def test_a_browser_provider_accepts_raw_and_der_and_returns_der(pki: Pki) -> None:
    # given
    key, provider = _certified(pki)
    tbs = b"\x31\x10 the DER signed attributes"
    # when
    from_raw = provider.signature_value(tbs, raw_signature(key, tbs))
    from_der = provider.signature_value(tbs, key.sign(tbs, ec.ECDSA(hashes.SHA256())))
    # then both are DER that verify over the attributes
    for der in (from_raw, from_der):
        assert der[0] == 0x30
        key.public_key().verify(der, tbs, ec.ECDSA(hashes.SHA256()))
    assert provider.to_be_signed(tbs) == tbs
    assert provider.algorithm == "ECDSA-P256-SHA256"


def test_a_signature_by_another_key_or_over_other_bytes_is_refused(pki: Pki) -> None:
    # given
    key, provider = _certified(pki)
    other = ec.generate_private_key(P256)
    tbs = b"\x31\x10 the DER signed attributes"
    # then
    with pytest.raises(InvalidSignatureValue):
        provider.signature_value(tbs, raw_signature(other, tbs))
    with pytest.raises(InvalidSignatureValue):
        provider.signature_value(tbs, raw_signature(key, tbs + b"x"))
    with pytest.raises(InvalidSignatureValue):
        provider.signature_value(tbs, b"\x00" * 10)


def test_a_hash_signing_provider_receives_the_digest_and_its_answer_is_checked(pki: Pki) -> None:
    # given a "remote service" that signs SHA-256 digests with the certified key
    key, browser = _certified(pki)

    def sign_digest(digest: bytes) -> bytes:
        assert len(digest) == 32
        return key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))

    provider = HashSigningProvider(
        certificate=browser.certificate, chain=browser.chain, sign_digest=sign_digest
    )
    tbs = b"\x31\x10 the DER signed attributes"
    # when
    value = provider.sign(tbs)
    # then it is an ordinary signature over the attributes, and what was sent was their hash
    assert provider.to_be_signed(tbs) == hashlib.sha256(tbs).digest()
    assert signature_value_check(browser.certificate, tbs, value) == value
    with pytest.raises(InvalidSignatureValue):
        provider.signature_value(tbs, sign_digest(hashlib.sha256(b"other").digest()))
