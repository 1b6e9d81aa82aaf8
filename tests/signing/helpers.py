"""A throw-away PKI for signing tests, built with the pure `signing.ca` functions."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pypdf
from cryptography import x509
from fontTools import ttLib

from signing import ca as ca_lib
from signing.providers import ServerKeyProvider

VIETNAM = timezone(timedelta(hours=7))
CRL_URL = "http://localhost:8000/signing/ca.crl"


@dataclass(frozen=True)
class Pki:
    """A root CA with its CRL, a time-stamping authority and a way to get signers."""

    root: ca_lib.KeyPair
    crl: x509.CertificateRevocationList
    tsa: ca_lib.KeyPair
    provider: Callable[[str], ServerKeyProvider]


def make_pki(province: str = "Đồng Nai") -> Pki:
    """Create a root CA for `province`, its CRL and TSA; `provider(name)` certifies a new key."""
    now = datetime.now(UTC)
    root = ca_lib.ca_root_create(province_name=province, now=now)

    def provider(common_name: str) -> ServerKeyProvider:
        key = ca_lib.key_generate_ec()
        certificate = ca_lib.ca_issue_signing_certificate(
            ca=root,
            public_key=key.public_key(),
            common_name=common_name,
            organisation=f"Ủy ban nhân dân tỉnh {province}",
            now=now,
            crl_url=CRL_URL,
        )
        return ServerKeyProvider(certificate=certificate, private_key=key, chain=[root.certificate])

    return Pki(
        root=root,
        crl=ca_lib.ca_build_crl(ca=root, number=1, now=now),
        tsa=ca_lib.ca_issue_tsa(
            ca=root, organisation=f"UBND tỉnh {province}", now=now, crl_url=CRL_URL
        ),
        provider=provider,
    )


def field_font(pdf: bytes, name: str) -> ttLib.TTFont:
    """The font program embedded for the appearance of the form field `name`."""
    fields = pypdf.PdfReader(io.BytesIO(pdf)).get_fields() or {}
    widget = fields[name].indirect_reference.get_object()  # type: ignore[union-attr]
    appearance = widget["/AP"]["/N"].get_object()
    (font,) = [f.get_object() for f in appearance["/Resources"]["/Font"].values()]
    descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    return ttLib.TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))


def inked(font: ttLib.TTFont) -> dict[str, bytes]:
    """The characters the font draws (outlines not empty), with their outlines."""
    glyphs = font["glyf"]
    return {
        chr(code): glyphs[name].compile(glyphs)
        for code, name in font.getBestCmap().items()
        if glyphs[name].numberOfContours
    }
