"""Validation of a signed PDF by pyHanko alone, trusting one root: what a recipient's tool does.

Nothing of the application is used: the PDF, the root certificate, pyHanko. No fetching — the
revocation data must be in the PDF (its DSS, PAdES B-LT/B-LTA) — and hard-fail revocation.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature, async_validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def validate_offline(pdf: bytes, root: x509.Certificate) -> dict[str, Any]:
    """{field name: pyHanko status} for every signature and document time-stamp of `pdf`."""

    async def run() -> dict[str, Any]:
        reader = PdfFileReader(io.BytesIO(pdf))
        results = {}
        for embedded in reader.embedded_signatures:
            arguments = {
                "trust_roots": [_asn1(root)],
                "allow_fetching": False,
                "revocation_mode": "hard-fail",
            }
            try:
                context = DocumentSecurityStore.read_dss(reader).as_validation_context(arguments)
            except NoDSSFoundError:
                context = ValidationContext(**arguments)
            if embedded.sig_object_type == "/DocTimeStamp":
                status = await async_validate_pdf_timestamp(embedded, validation_context=context)
            else:
                status = await async_validate_pdf_signature(
                    embedded,
                    signer_validation_context=context,
                    key_usage_settings=KeyUsageConstraints(key_usage={"non_repudiation"}),
                )
            results[embedded.field_name] = status
        return results

    return asyncio.run(run())


def dss_counts(pdf: bytes) -> dict[str, int]:
    """How many certificates, CRLs and OCSP answers the PDF's DSS holds (zeros without a DSS)."""
    try:
        dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(pdf)))
    except NoDSSFoundError:
        return {"certs": 0, "crls": 0, "ocsps": 0}
    return {"certs": len(dss.certs), "crls": len(dss.crls), "ocsps": len(dss.ocsps)}
