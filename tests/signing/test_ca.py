"""The system CA: root, signing certificates, the TSA certificate and the CRL."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signing import ca as ca_lib

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def test_root_is_a_p384_ca_that_signs_certificates_and_crls() -> None:
    # when
    root = ca_lib.ca_root_create(province_name="Đồng Nai", now=NOW).certificate
    # then
    assert isinstance(root.public_key(), ec.EllipticCurvePublicKey)
    assert root.public_key().curve.name == "secp384r1"
    basic = root.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca
    usage = root.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    assert root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "UBND tỉnh Đồng Nai Root CA"
    )
    assert root.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "VN"


def test_signing_certificate_chains_to_the_root() -> None:
    # given
    root = ca_lib.ca_root_create(province_name="Đồng Nai", now=NOW)
    key = ca_lib.key_generate_ec()
    # when
    certificate = ca_lib.ca_issue_signing_certificate(
        ca=root,
        public_key=key.public_key(),
        common_name="Nguyễn Văn A",
        organisation="Ủy ban nhân dân tỉnh Đồng Nai",
        now=NOW,
        crl_url="http://localhost/ca.crl",
    )
    # then
    certificate.verify_directly_issued_by(root.certificate)  # raises if not
    assert (
        certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Nguyễn Văn A"
    )
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    aki = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = root.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    assert (certificate.not_valid_after_utc - NOW).days in range(729, 731)


def test_tsa_certificate_is_rsa_with_critical_time_stamping_usage() -> None:
    # given
    root = ca_lib.ca_root_create(province_name="Đồng Nai", now=NOW)
    # when
    tsa = ca_lib.ca_issue_tsa(ca=root, organisation="UBND tỉnh Đồng Nai", now=NOW)
    # then
    tsa.certificate.verify_directly_issued_by(root.certificate)
    eku = tsa.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert tsa.private_key.key_size >= 2048


def test_crl_is_signed_by_the_root_and_lists_revoked_serials() -> None:
    # given
    root = ca_lib.ca_root_create(province_name="Đồng Nai", now=NOW)
    # when
    crl = ca_lib.ca_build_crl(ca=root, number=2, now=NOW, revoked=[(1234, NOW)])
    # then
    assert crl.is_signature_valid(root.private_key.public_key())
    assert crl.get_revoked_certificate_by_serial_number(1234) is not None
    assert crl.next_update_utc > NOW
