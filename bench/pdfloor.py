"""The floors of the PDF figures: pyHanko alone, with no app code.

- `seal_blta`: the agency's seal as a raw pyHanko PAdES B-LTA signature (validation info embedded,
  document time-stamp), with the same key, chain, CRL, time-stamp authority and seal image as the
  app, in a fixed box on the last page.
- `prepare_deferred`: a person's deferred signature as raw pyHanko prepares it (field, visible
  stamp with the same signature image, font and text, reserved /Contents, signed attributes), in
  a fixed box on the last page.

The key material is exported from the app's database by bench.prepare (or generated when the app's
key cannot be read) into a directory: `Material.load(dir)`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")
SEAL_BOX = (120.0, 120.0, 222.0, 222.0)  # 36 mm, as the app's seal
SIGNATURE_BOX = (320.0, 140.0, 520.0, 220.0)


def _asn1_cert(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _asn1_key(key: Any) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def write_material(
    out: Path,
    *,
    seal_key: Any,
    seal_cert: x509.Certificate,
    root_pem: str,
    crl_pem: str,
    tsa_cert_der: bytes,
    tsa_key_der: bytes,
    seal_png: bytes,
    revocation: str = "hard-fail",
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "seal-key.der").write_bytes(
        seal_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (out / "seal-cert.pem").write_bytes(seal_cert.public_bytes(serialization.Encoding.PEM))
    (out / "root.pem").write_text(root_pem)
    (out / "crl.pem").write_text(crl_pem)
    (out / "tsa-cert.der").write_bytes(tsa_cert_der)
    (out / "tsa-key.der").write_bytes(tsa_key_der)
    (out / "seal.png").write_bytes(seal_png)
    (out / "revocation").write_text(revocation)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def generate_material(out: Path) -> None:
    """Keys of the same kinds as the app's (P-384 root, P-256 seal, RSA-2048 TSA), an empty CRL
    and a plain red ring as the seal image."""
    from PIL import Image, ImageDraw

    now = dt.datetime.now(dt.UTC)
    root_key = ec.generate_private_key(ec.SECP384R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("Bench Root"))
        .issuer_name(_name("Bench Root"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(root_key, hashes.SHA384())
    )

    def leaf(public_key: Any, name: str, eku: list[Any] | None = None) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(root.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
        )
        if eku:
            builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
        return builder.sign(root_key, hashes.SHA384())

    seal_key = ec.generate_private_key(ec.SECP256R1())
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.subject)
        .last_update(now - dt.timedelta(hours=1))
        .next_update(now + dt.timedelta(days=7))
        .sign(root_key, hashes.SHA384())
    )
    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((10, 10, 390, 390), outline=(220, 0, 0, 255), width=18)
    png = io.BytesIO()
    image.save(png, "PNG")
    write_material(
        out,
        seal_key=seal_key,
        seal_cert=leaf(seal_key.public_key(), "Bench Seal"),
        root_pem=root.public_bytes(serialization.Encoding.PEM).decode(),
        crl_pem=crl.public_bytes(serialization.Encoding.PEM).decode(),
        tsa_cert_der=leaf(
            tsa_key.public_key(), "Bench TSA", [ExtendedKeyUsageOID.TIME_STAMPING]
        ).public_bytes(serialization.Encoding.DER),
        tsa_key_der=tsa_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        seal_png=png.getvalue(),
        revocation="soft-fail",
    )


@dataclass
class Material:
    seal_key: Any
    seal_cert: x509.Certificate
    root: x509.Certificate
    crl_der: bytes
    tsa_cert: asn1_x509.Certificate
    tsa_key: asn1_keys.PrivateKeyInfo
    seal_png: bytes
    revocation: str

    @classmethod
    def load(cls, directory: Path) -> Material:
        directory = Path(directory)
        return cls(
            seal_key=serialization.load_der_private_key(
                (directory / "seal-key.der").read_bytes(), None
            ),
            seal_cert=x509.load_pem_x509_certificate((directory / "seal-cert.pem").read_bytes()),
            root=x509.load_pem_x509_certificate((directory / "root.pem").read_bytes()),
            crl_der=x509.load_pem_x509_crl((directory / "crl.pem").read_bytes()).public_bytes(
                serialization.Encoding.DER
            ),
            tsa_cert=asn1_x509.Certificate.load((directory / "tsa-cert.der").read_bytes()),
            tsa_key=asn1_keys.PrivateKeyInfo.load((directory / "tsa-key.der").read_bytes()),
            seal_png=(directory / "seal.png").read_bytes(),
            revocation=(directory / "revocation").read_text().strip(),
        )

    def timestamper(self) -> Any:
        from pyhanko.sign.timestamps import DummyTimeStamper
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        return DummyTimeStamper(
            tsa_cert=self.tsa_cert,
            tsa_key=self.tsa_key,
            certs_to_embed=SimpleCertificateStore.from_certs([_asn1_cert(self.root)]),
        )


def _last_page(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Count"]) - 1


def seal_blta(pdf: bytes, material: Material, *, field_name: str = "FloorSeal") -> bytes:
    """Raw pyHanko PAdES B-LTA seal of `pdf` with `material`'s key and image."""
    from PIL import Image
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import StaticStampStyle
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(material.seal_cert),
        signing_key=_asn1_key(material.seal_key),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(material.root)]),
    )
    context = ValidationContext(
        trust_roots=[_asn1_cert(material.root)],
        crls=[material.crl_der],
        allow_fetching=False,
        revocation_mode=material.revocation,
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        embed_validation_info=True,
        use_pades_lta=True,
        validation_context=context,
    )
    style = StaticStampStyle(
        border_width=0,
        background=PdfImage(Image.open(io.BytesIO(material.seal_png))),
        background_opacity=1.0,
    )
    pdf_signer = signers.PdfSigner(
        metadata,
        signer=signer,
        timestamper=material.timestamper(),
        stamp_style=style,
        new_field_spec=fields.SigFieldSpec(field_name, on_page=_last_page(pdf), box=SEAL_BOX),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    return asyncio.run(pdf_signer.async_sign_pdf(writer)).getvalue()


def prepare_deferred(
    pdf: bytes,
    *,
    certificate: x509.Certificate,
    chain: list[x509.Certificate],
    timestamper: Any,
    signature_png: bytes | None,
    text: str,
    field_name: str = "FloorSignature",
) -> tuple[bytes, bytes]:
    """Raw pyHanko deferred signature: (prepared PDF, DER signed attributes to sign)."""
    from PIL import Image
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils import text as pdf_text
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    size = 2 * ((certificate.public_key().curve.key_size + 7) // 8) + 9  # DER ECDSA at most
    external = signers.ExternalSigner(
        signing_cert=_asn1_cert(certificate),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(c) for c in chain]),
        signature_value=size,
    )
    style = TextStampStyle(
        stamp_text="%(appearance)s",
        border_width=0,
        background=PdfImage(Image.open(io.BytesIO(signature_png))) if signature_png else None,
        background_opacity=1.0,
        text_box_style=pdf_text.TextBoxStyle(font=GlyphAccumulatorFactory(str(FONT)), font_size=7),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MIN,
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
    )
    pdf_signer = signers.PdfSigner(
        metadata,
        signer=external,
        timestamper=timestamper,
        stamp_style=style,
        new_field_spec=fields.SigFieldSpec(field_name, on_page=_last_page(pdf), box=SIGNATURE_BOX),
    )

    async def prepare() -> tuple[bytes, bytes]:
        prepared, _tbs, output = await pdf_signer.async_digest_doc_for_signing(
            IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False),
            appearance_text_params={"appearance": text},
        )
        attributes = await external.signed_attrs(prepared.document_digest, "sha256", use_pades=True)
        return output.getvalue(), attributes.dump()

    return asyncio.run(prepare())
