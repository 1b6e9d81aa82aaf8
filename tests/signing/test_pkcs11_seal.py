"""The seal key in a PKCS#11 token: SoftHSM2 (Debian softhsm2) stands in for the HSM.

The token lives in a temporary directory made for the test session; SoftHSM2 reads SOFTHSM2_CONF
when its library is first loaded, so the fixture sets it before any test touches the token.
"""

from __future__ import annotations

import time
from typing import Any

import pkcs11
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.management import call_command
from pkcs11 import Attribute, ObjectClass

from agencies.errors import StateError
from agencies.models import Unit, User
from signing.models import Credential
from signing.pkcs11 import Pkcs11Config, Pkcs11SealProvider, seal_key_init, seal_key_label
from signing.seal import seal_provider
from signing.services import (
    PERSON_SIGNATURE_FIELD,
    SEAL_SIGNATURE_FIELD,
    credential_for_seal,
    pdf_issue_with_seal,
    pdf_sign_as_person,
    pdf_verify,
    trust_pem,
)

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN_LABEL = "kehoach-test-seal"
PIN = "123456"
SO_PIN = "12345678"


_unit_counter = iter(range(1, 1_000_000))


@pytest.fixture
def province(db: None) -> Unit:
    # A unit code (so a key label) of its own per test: the token outlives each test's database.
    return Unit.objects.create(
        code=f"ubnd-tinh-{next(_unit_counter)}",
        name="Ủy ban nhân dân tỉnh Đồng Nai",
        abbreviation="UBND",
        kind=Unit.Kind.PEOPLES_COMMITTEE,
    )


@pytest.fixture
def vice_chairman(province: Unit) -> User:
    return User.objects.create_user(
        username="pct",
        full_name="Nguyễn Văn A",
        unit=province,
        role=User.Role.SIGNER,
        position="Phó Chủ tịch",
    )


def _token_objects(config: Pkcs11Config, label: str) -> dict[str, Any]:
    token = pkcs11.lib(config.module_path).get_token(token_label=config.token_label)
    with token.open(user_pin=config.pin) as session:
        found = {}
        for object_class in (ObjectClass.PRIVATE_KEY, ObjectClass.CERTIFICATE):
            for obj in session.get_objects({Attribute.CLASS: object_class, Attribute.LABEL: label}):
                if object_class == ObjectClass.PRIVATE_KEY:
                    found["extractable"] = obj[Attribute.EXTRACTABLE]
                    found["sensitive"] = obj[Attribute.SENSITIVE]
                else:
                    found["certificate"] = bytes(obj[Attribute.VALUE])
        return found


@pytest.mark.django_db
def test_seal_key_is_made_in_the_token_and_certified_by_our_ca(
    pkcs11_settings: Pkcs11Config, province: Unit
) -> None:
    # when
    credential = seal_key_init(unit=province)
    # then the private key stays in the token; the certificate is there and in the database
    in_token = _token_objects(pkcs11_settings, seal_key_label(province))
    assert in_token["extractable"] is False
    assert in_token["sensitive"] is True
    certificate = x509.load_der_x509_certificate(in_token["certificate"])
    certificate.verify_directly_issued_by(x509.load_pem_x509_certificate(trust_pem().encode()))
    assert format(certificate.serial_number, "x") == credential.serial_number
    assert credential.kind == Credential.Kind.SEAL and credential.unit == province
    assert credential.private_key_encrypted == ""
    assert credential.subject_name == "Ủy ban nhân dân tỉnh Đồng Nai"


@pytest.mark.django_db
def test_seal_key_init_twice_keeps_the_same_key(
    pkcs11_settings: Pkcs11Config, province: Unit
) -> None:
    # given
    first = seal_key_init(unit=province)
    # when
    second = seal_key_init(unit=province)
    # then
    assert second.pk == first.pk
    assert Credential.objects.filter(kind=Credential.Kind.SEAL, unit=province).count() == 1


@pytest.mark.django_db
def test_a_server_held_seal_is_replaced_only_when_asked(
    pkcs11_settings: Pkcs11Config, province: Unit
) -> None:
    # given the unit sealed with a server-held key before
    old = credential_for_seal(unit=province)
    # when
    with pytest.raises(StateError):
        seal_key_init(unit=province)
    # then nothing changed in the database
    old.refresh_from_db()
    assert old.revoked_at is None
    assert Credential.objects.filter(kind=Credential.Kind.SEAL, unit=province).count() == 1
    # when asked to replace it
    new = seal_key_init(unit=province, replace=True)
    # then the old credential is revoked and listed on the CRL
    old.refresh_from_db()
    assert old.revoked_at is not None
    assert new.private_key_encrypted == ""
    from signing.services import crl_pem

    crl = x509.load_pem_x509_crl(crl_pem().encode())
    assert crl.get_revoked_certificate_by_serial_number(int(old.serial_number, 16)) is not None


@pytest.mark.django_db
def test_seal_provider_follows_the_configured_backend(
    pkcs11_settings: Pkcs11Config, settings: Any, province: Unit
) -> None:
    # given
    seal_key_init(unit=province)
    # when / then
    assert isinstance(seal_provider(unit=province), Pkcs11SealProvider)
    settings.SEAL_KEY_BACKEND = "file"
    with pytest.raises(StateError):  # the unit's seal key is in the token, not on the server
        seal_provider(unit=province)


@pytest.mark.django_db
def test_a_missing_token_key_is_a_clear_refusal(
    pkcs11_settings: Pkcs11Config, province: Unit
) -> None:
    # when the key was never created in the token
    with pytest.raises(StateError) as refused:
        seal_provider(unit=province)
    # then
    assert "seal_key_init" in refused.value.message


@pytest.mark.django_db
def test_plan_issued_with_the_pkcs11_seal_validates(
    pkcs11_settings: Pkcs11Config, plan_pdf: bytes, vice_chairman: User, province: Unit
) -> None:
    # given the seal key in the token and the leader's signature
    credential = seal_key_init(unit=province)
    signed = pdf_sign_as_person(pdf=plan_pdf, user=vice_chairman, position_line="PHÓ CHỦ TỊCH")
    # when the clerk issues it
    started = time.perf_counter()
    issued = pdf_issue_with_seal(
        pdf=signed,
        unit=province,
        number_text="262",
        date_text="ngày 22 tháng 11 năm 2026",
        verify_url="http://127.0.0.1:8000/kiem-tra/1-0123456789abcdef01234567/",
    )
    elapsed = time.perf_counter() - started
    # then both signatures and the document time-stamp validate
    reports = {r.field_name: r for r in pdf_verify(pdf=issued)}
    assert all(r.bottom_line for r in reports.values()), [r.summary for r in reports.values()]
    assert reports[PERSON_SIGNATURE_FIELD].modification_level == "FORM_FILLING"
    seal = reports[SEAL_SIGNATURE_FIELD]
    assert seal.certificate_serial == credential.serial_number
    assert seal.signer_name == "Ủy ban nhân dân tỉnh Đồng Nai"
    assert elapsed < 10  # measured about 0.5 s on two cores


@pytest.mark.django_db
def test_an_rsa_seal_key_in_the_token_also_signs(
    pkcs11_settings: Pkcs11Config,
    settings: Any,
    plan_pdf: bytes,
    vice_chairman: User,
    province: Unit,
) -> None:
    # given an RSA-3072 seal key
    settings.SEAL_PKCS11_KEY_TYPE = "rsa"
    credential = seal_key_init(unit=province)
    public_key = x509.load_pem_x509_certificate(credential.certificate_pem.encode()).public_key()
    assert isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size == 3072
    signed = pdf_sign_as_person(pdf=plan_pdf, user=vice_chairman, position_line="PHÓ CHỦ TỊCH")
    # when
    issued = pdf_issue_with_seal(
        pdf=signed, unit=province, number_text="7", date_text="ngày 01 tháng 12 năm 2026"
    )
    # then
    reports = {r.field_name: r for r in pdf_verify(pdf=issued)}
    assert reports[SEAL_SIGNATURE_FIELD].bottom_line
    assert reports[SEAL_SIGNATURE_FIELD].certificate_serial == credential.serial_number


@pytest.mark.django_db
def test_management_command_creates_the_key_of_the_province(
    pkcs11_settings: Pkcs11Config, province: Unit, capsys: pytest.CaptureFixture[str]
) -> None:
    # when
    call_command("seal_key_init", "--unit", province.code)
    # then
    out = capsys.readouterr().out
    credential = Credential.objects.get(kind=Credential.Kind.SEAL, unit=province)
    assert credential.serial_number in out
    assert credential.private_key_encrypted == ""


@pytest.mark.django_db
def test_the_seal_signs_while_another_session_of_the_process_is_logged_in(
    pkcs11_settings: Pkcs11Config, province: Unit
) -> None:
    # given the key, and another part of the process logged in to the token
    seal_key_init(unit=province)
    provider = seal_provider(unit=province)
    token = pkcs11.lib(pkcs11_settings.module_path).get_token(
        token_label=pkcs11_settings.token_label
    )
    with token.open(user_pin=pkcs11_settings.pin) as other:
        # when
        signature = provider.sign(b"data to sign")
        # then the signature verifies, and the other session is still logged in
        provider.certificate.public_key().verify(  # type: ignore[call-arg]
            signature, b"data to sign", ec.ECDSA(hashes.SHA256())
        )
        assert list(other.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))
