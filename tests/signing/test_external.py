"""The strict check of a certificate from an external CA (signing/external.py), without Django.

Against the national-shaped test CA served on 127.0.0.1: the path (given or through AIA), the
usage, and revocation by CRL and OCSP — each declared source must answer in a strict check, and
the tolerant collection for B-LT takes what answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509

from signing import external

from .national_pki import NationalTestPki, name, national_pki_served, rsa_key


@pytest.fixture
def pki(national_pki: NationalTestPki) -> Iterator[NationalTestPki]:
    national_pki.down = False
    yield national_pki
    national_pki.down = False


def check(
    pki: NationalTestPki,
    certificate: x509.Certificate,
    *,
    intermediates: list[x509.Certificate] | None = None,
    fetcher: external.Fetcher | None = None,
) -> external.CheckedCertificate:
    return external.certificate_check(
        certificate,
        intermediates=[pki.sub.certificate] if intermediates is None else intermediates,
        roots=[pki.root.certificate],
        fetcher=fetcher or external.Fetcher(),
        now=datetime.now(UTC),
    )


def test_a_good_certificate_passes_with_its_path_and_revocation_data(pki: NationalTestPki) -> None:
    certificate = pki.issue_person("Nguyễn Văn A", rsa_key().public_key())
    checked = check(pki, certificate)
    assert checked.path == (certificate, pki.sub.certificate, pki.root.certificate)
    assert checked.chain == (pki.sub.certificate, pki.root.certificate)
    # the CRLs of both CAs, and the OCSP answers about the person and the subordinate CA
    assert len(checked.revocation.crls) == 2
    assert len(checked.revocation.ocsp_responses) == 2


def test_a_missing_issuer_comes_from_aia_only_where_allowed(pki: NationalTestPki) -> None:
    certificate = pki.issue_person("Nguyễn Văn A", rsa_key().public_key())
    # the test CA answers on 127.0.0.1: an unchecked certificate's AIA is not fetched there
    with pytest.raises(external.CertificateProblem) as refused:
        check(pki, certificate, intermediates=[])
    assert refused.value.code == "untrusted_root"
    # unless the fetcher allows private addresses
    checked = check(
        pki, certificate, intermediates=[], fetcher=external.Fetcher(aia_private_addresses=True)
    )
    assert checked.chain[0] == pki.sub.certificate


def test_every_declared_source_must_answer(pki: NationalTestPki) -> None:
    certificate = pki.issue_person("Nguyễn Văn A", rsa_key().public_key())
    fetcher = external.Fetcher()
    check(pki, certificate, fetcher=fetcher)  # the CRLs are now cached
    # when only the OCSP responder is down, the strict check still refuses
    pki.down = True
    with pytest.raises(external.CertificateProblem) as refused:
        check(pki, certificate, fetcher=fetcher)
    assert refused.value.code == "revocation_unavailable"
    assert "OCSP" in refused.value.message

    # and the tolerant collection (for B-LT) keeps the answers of a moment ago
    def collected(fetcher: external.Fetcher) -> external.RevocationData:
        return external.revocation_data(
            [certificate, pki.sub.certificate],
            pool=[pki.sub.certificate],
            roots=[pki.root.certificate],
            fetcher=fetcher,
            now=datetime.now(UTC),
        )

    data = collected(fetcher)
    assert len(data.crls) == 2 and len(data.ocsp_responses) == 2
    # while a process that never asked gets nothing, and does not fail
    assert collected(external.Fetcher()) == external.RevocationData()


def test_a_certificate_naming_no_revocation_source_is_refused(pki: NationalTestPki) -> None:
    now = datetime.now(UTC)
    certificate = pki._issue(
        pki.sub,
        subject=name("Không có CRL", "Thử nghiệm"),
        public_key=rsa_key().public_key(),
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30),
        crl=False,
        ocsp_responder=False,
    )
    with pytest.raises(external.CertificateProblem) as refused:
        check(pki, certificate)
    assert refused.value.code == "no_revocation_source"


def test_a_ca_certificate_is_not_a_signing_certificate(pki: NationalTestPki) -> None:
    with pytest.raises(external.CertificateProblem) as refused:
        check(pki, pki.sub.certificate, intermediates=[])
    assert refused.value.code == "not_a_signing_certificate"


def test_a_revoked_subordinate_ca_revokes_its_people() -> None:
    # given a person of a subordinate CA that the root then revokes (a PKI of its own)
    with national_pki_served("CA bị thu hồi") as other:
        person = other.issue_person("Nguyễn Văn B", rsa_key().public_key())
        check(other, person)
        other.revoke(other.sub.certificate)
        # then the person is refused, and the message names the revoked CA
        with pytest.raises(external.CertificateProblem) as refused:
            check(other, person)
    assert refused.value.code == "certificate_revoked"
    assert "CA phục vụ các cơ quan Nhà nước (thử nghiệm)" in refused.value.message
    assert refused.value.message.startswith("Chứng thư của tổ chức chứng thực")
