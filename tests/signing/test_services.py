"""Signing services: CA and credentials on first use, signing as a person, issuing with the seal."""

from __future__ import annotations

import io
import threading

import pypdf
import pytest
from cryptography import x509
from django.db import connection

from agencies.errors import StateError
from agencies.models import Unit, User
from signing.keystore import key_decrypt
from signing.models import CertificateAuthority, Credential, TimeStampAuthority
from signing.services import (
    PERSON_SIGNATURE_FIELD,
    SEAL_SIGNATURE_FIELD,
    ca_get_or_create,
    credential_for_person,
    pdf_issue_with_seal,
    pdf_sign_as_person,
    pdf_verify,
    trust_pem,
)


@pytest.fixture
def province(db: None) -> Unit:
    return Unit.objects.create(
        code="ubnd-tinh",
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


@pytest.mark.django_db
def test_person_credential_is_created_once_and_chains_to_the_root(vice_chairman: User) -> None:
    # when
    first = credential_for_person(user=vice_chairman)
    second = credential_for_person(user=vice_chairman)
    # then
    assert first.pk == second.pk
    assert Credential.objects.count() == 1
    certificate = x509.load_pem_x509_certificate(first.certificate_pem.encode())
    root = x509.load_pem_x509_certificate(trust_pem().encode())
    certificate.verify_directly_issued_by(root)
    assert first.subject_name == "Nguyễn Văn A"
    assert format(certificate.serial_number, "x") == first.serial_number


@pytest.mark.django_db
def test_private_keys_are_stored_encrypted(vice_chairman: User) -> None:
    # when
    credential = credential_for_person(user=vice_chairman)
    authority = ca_get_or_create()
    # then
    for token in (credential.private_key_encrypted, authority.private_key_encrypted):
        assert "PRIVATE KEY" not in token
        key_decrypt(token)  # opens with a key derived from SECRET_KEY


@pytest.mark.django_db
def test_signed_and_sealed_plan_validates_with_both_signatures(
    plan_pdf: bytes, vice_chairman: User, province: Unit
) -> None:
    # given the leader signed
    signed = pdf_sign_as_person(pdf=plan_pdf, user=vice_chairman, position_line="PHÓ CHỦ TỊCH")
    # when the clerk issues it
    issued = pdf_issue_with_seal(
        pdf=signed, unit=province, number_text="262", date_text="ngày 22 tháng 11 năm 2026"
    )
    # then
    reports = {r.field_name: r for r in pdf_verify(pdf=issued)}
    leader, seal = reports[PERSON_SIGNATURE_FIELD], reports[SEAL_SIGNATURE_FIELD]
    assert leader.bottom_line and seal.bottom_line
    assert leader.signer_name == "Nguyễn Văn A"
    assert leader.modification_level == "FORM_FILLING"
    assert seal.signer_name == "Ủy ban nhân dân tỉnh Đồng Nai"
    fields = pypdf.PdfReader(io.BytesIO(issued)).get_fields() or {}
    assert fields["doc_number"].value == "262"
    assert fields["issue_date"].value == "ngày 22 tháng 11 năm 2026"
    assert Credential.objects.filter(kind=Credential.Kind.SEAL, unit=province).count() == 1


@pytest.mark.django_db
def test_issuing_an_unsigned_pdf_is_refused_and_creates_no_seal(
    plan_pdf: bytes, province: Unit
) -> None:
    # when
    with pytest.raises(StateError):
        pdf_issue_with_seal(
            pdf=plan_pdf, unit=province, number_text="262", date_text="ngày 22 tháng 11 năm 2026"
        )
    # then
    assert Credential.objects.filter(kind=Credential.Kind.SEAL).exists() is False


@pytest.mark.django_db(transaction=True)
def test_parallel_first_uses_create_one_ca() -> None:
    # given two threads that start together
    barrier = threading.Barrier(2)
    pems: list[str] = []
    errors: list[BaseException] = []

    def first_use() -> None:
        try:
            barrier.wait()
            pems.append(ca_get_or_create().certificate_pem)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_use) for _ in range(2)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert errors == []
    assert CertificateAuthority.objects.count() == 1
    assert len(pems) == 2 and pems[0] == pems[1]
    assert TimeStampAuthority.objects.count() == 0  # created only when a signature needs it


@pytest.mark.django_db(transaction=True)
def test_parallel_first_signatures_of_one_person_create_one_credential() -> None:
    # given
    unit = Unit.objects.create(code="so-khcn", name="Sở Khoa học và Công nghệ")
    user = User.objects.create_user(username="gd", full_name="Trần Thị B", unit=unit)
    ca_get_or_create()
    barrier = threading.Barrier(2)
    serials: list[str] = []

    def first_use() -> None:
        try:
            barrier.wait()
            serials.append(credential_for_person(user=user).serial_number)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_use) for _ in range(2)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert Credential.objects.filter(user=user).count() == 1
    assert len(serials) == 2 and serials[0] == serials[1]
