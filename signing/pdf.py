"""PAdES signing, issuance fields and verification of a plan's PDF (pyHanko 0.38).

Pure module: no models, no settings. The services fetch keys and certificates, call these functions
and store the bytes. Importing this module loads pyHanko (about 0.4 s), so callers import it lazily.

The path of an issued plan (ND30, notes/nd30.md §2.1):

1. `pdf_add_issue_fields` — before the leader signs: empty, read-only text fields over the blank
   number ("Số:      /KH-UBND") and date ("ngày      tháng      năm      ") of the header.
2. `pdf_prepare_signature` / `pdf_finish_signature` — the leader's PAdES B-T signature, visible
   between the position line ("PHÓ CHỦ TỊCH") and the name in the signature block of the last
   page, made in two steps around a key the server need not hold (the browser signs in between;
   `signing.providers`). `pdf_sign` does both at once with a key holder that answers at once.
3. `pdf_fill_issue_fields_and_seal` — at issuance, by the clerk: the number and the date are filled
   in (form filling, which leaves the leader's signature valid), then the agency's seal signature
   (PAdES B-LTA) is added, its red seal image overlapping the left third of the leader's box.
4. `pdf_validate` — one `SignatureReport` per signature and document time-stamp.

Coordinates: pdfplumber measures from the top left of the page, PDF (and pyHanko boxes) from the
bottom left; `_PageGeometry` converts.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import io
import logging
import os
import re
import tempfile
import zlib
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pdfplumber
import uharfbuzz as hb
from asn1crypto import cms
from asn1crypto import core as asn1_core
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from fontTools import subset, ttLib
from fontTools.ttLib.scaleUpem import scale_upem
from PIL import Image
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.font.api import FontEngine
from pyhanko.pdf_utils.font.opentype import (
    CIDFontType2,
    GlyphAccumulator,
    GlyphAccumulatorFactory,
)
from pyhanko.pdf_utils.font.opentype import _check_ot_tag as check_ot_tag
from pyhanko.pdf_utils.font.opentype import _read_ps_name as read_ps_name
from pyhanko.pdf_utils.form_tools import (
    TextFieldContent,
    annot_width_height,
    enumerate_fields_in,
    find_existing_empty_field,
    get_single_field_annot,
)
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import FormFillingError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import as_signing_certificate, simple_cms_attribute
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps import DummyTimeStamper, TimeStamper
from pyhanko.sign.validation import async_validate_pdf_signature, async_validate_pdf_timestamp
from pyhanko.stamp import QRStampStyle, StaticStampStyle, TextStamp, TextStampStyle
from pyhanko.stamp.static import StaticContentStamp
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from agencies.errors import InvalidInput, StateError

from . import pyhanko_speedups
from .providers import KeyHolder, PreparedSignature, SignatureProvider, signature_value_check

pyhanko_speedups.install()

logger = logging.getLogger(__name__)

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
NUMBER_FIELD = "doc_number"
DATE_FIELD = "issue_date"
# The widest date the clerk can enter, to size the date field.
WIDEST_DATE_TEXT = "ngày 28 tháng 12 năm 2099"
SEAL_DIAMETER_PT = 36 / 25.4 * 72  # ND30 Phụ lục I: the seal image at its real size (36 mm)
#: ND30 Phụ lục I II.8.a: the seal covers about a third of the signature, on its left.
SEAL_SHARE_OF_SIGNATURE = 1 / 3
#: Room between the seal's right edge and the signature's text, which stays beside the seal.
SIGNATURE_TEXT_GAP = 4.0
SIGNATURE_BOX_WIDTH = 200.0
SIGNATURE_BOX_MAX_HEIGHT = 90.0
SIGNATURE_BOX_MIN_HEIGHT = 40.0
SIGNATURE_TEXT_SIZE = 10
SIGNATURE_TEXT_COLOR = (0.0, 0.2, 0.6)  # ND30 wants the signer's mark in blue


# FONTS


@dataclass(frozen=True)
class Fonts:
    """Liberation Serif (metric twin of Times New Roman) rescaled to 1000 units per em, cut down
    to the characters Vietnamese documents use.

    pyHanko 0.38 writes glyph widths in raw font units, so a font with another unitsPerEm renders
    with huge letter spacing (notes/signing-pdf.md §2.2); the rescaled copies avoid that. pyHanko
    parses and subsets the whole font for every text it draws (the appearance of a signature,
    the number and the date, the verification link): on the full font (2,600 glyphs, Greek,
    Cyrillic, Hebrew...) that took 45-90 ms each, on this one ~15 ms.
    """

    regular: Path
    italic: Path


@functools.lru_cache(maxsize=8)
def fonts_prepare(cache_dir: Path | None = None) -> Fonts:
    """Return the rescaled fonts under `cache_dir` (default: a temp dir), creating them once.

    Safe for concurrent processes: each copy is written to a temporary file and renamed into place.
    """
    directory = cache_dir or Path(tempfile.gettempdir()) / "kehoach-fonts"
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for style in ("Regular", "Italic"):
        target = directory / f"LiberationSerif-{style}-1000upem-vi.ttf"
        if not target.exists():
            font = ttLib.TTFont(FONT_DIR / f"LiberationSerif-{style}.ttf")
            scale_upem(font, 1000)
            if "FFTM" in font:
                del font["FFTM"]  # FontForge's timestamp table; the subsetter warns about it
            _keep_vietnamese(font)
            handle, temporary = tempfile.mkstemp(dir=directory, suffix=".ttf")
            os.close(handle)
            font.save(temporary)
            os.replace(temporary, target)
        paths[style] = target
    return Fonts(regular=paths["Regular"], italic=paths["Italic"])


#: What a Vietnamese administrative document writes: Latin with its Vietnamese letters (ơ, ư,
#: the precomposed tones of Latin Extended Additional) and combining marks, punctuation (– — “ ”
#: … •), the đồng sign, №.
VIETNAMESE_CHARACTERS = (
    (0x0020, 0x007E),
    (0x00A0, 0x017F),
    (0x01A0, 0x01B0),
    (0x0300, 0x036F),
    (0x1E00, 0x1EFF),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0x2116, 0x2116),
    (0x2122, 0x2122),
)


def _keep_vietnamese(font: ttLib.TTFont) -> None:
    """Cut `font` down to VIETNAMESE_CHARACTERS, keeping its layout features (kerning, marks)."""
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = True
    options.legacy_kern = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(
        unicodes=[code for first, last in VIETNAMESE_CHARACTERS for code in range(first, last + 1)]
    )
    subsetter.subset(font)


@functools.lru_cache(maxsize=4)
def _font_metrics(path: Path) -> tuple[dict[int, str], dict[str, tuple[int, int]], int]:
    font = ttLib.TTFont(path, lazy=True)
    return font.getBestCmap(), dict(font["hmtx"].metrics), font["head"].unitsPerEm


def _text_width(path: Path, text: str, size: float) -> float:
    cmap, metrics, units_per_em = _font_metrics(path)
    advance = sum(metrics[cmap[ord(ch)]][0] for ch in text if ord(ch) in cmap)
    return advance * size / units_per_em


def _text_style(font: Path, size: int, **kwargs: Any) -> TextBoxStyle:
    # The accumulator's size must equal the text box's, or multi-line text drifts (pyHanko #733).
    factory = _FontFactory(str(font), font_size=size)
    return TextBoxStyle(font=factory, font_size=size, **kwargs)


@functools.lru_cache(maxsize=8)
def _font_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


#: Characters every embedded subset holds, drawn or not: what changes from one document to the
#: next in the texts we draw — the digits of a number, a date or a time, and the hexadecimal
#: token of a verification address. With them, the subset of a text depends on its words, not
#: on its figures, and `_font_subset` makes it once (about 1 KB more a text).
SUBSET_PADDING = "0123456789abcdef-"


@functools.lru_cache(maxsize=8)
def _padding_glyph_ids(path: str) -> frozenset[int]:
    tables = _shared_font(path).tables
    cmap = tables.getBestCmap()
    return frozenset(tables.getGlyphID(cmap[ord(ch)]) for ch in SUBSET_PADDING if ord(ch) in cmap)


@functools.lru_cache(maxsize=512)
def _font_subset(path: str, glyph_ids: frozenset[int]) -> bytes:
    """The font program at `path` cut down to `glyph_ids`, Flate-compressed, as pyHanko's glyph
    accumulator embeds a TrueType font (glyph ids kept, layout tables dropped). Made once per
    font and set of glyphs: the digits of a number, the date of the day and the words around
    them recur from one document to the next."""
    font = ttLib.TTFont(io.BytesIO(_font_bytes(path)))
    # The subset drops them anyway; deleted first, they are not parsed (a third of the time).
    for tag in ("GDEF", "GSUB", "GPOS"):
        if tag in font:
            del font[tag]
    options = subset.Options(layout_closure=False)
    options.drop_tables += ["GPOS", "GDEF", "GSUB"]
    options.retain_gids = True
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(gids=sorted(glyph_ids))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return zlib.compress(buffer.getvalue())


@dataclass(frozen=True)
class _SharedFont:
    """A font file read once per process: its HarfBuzz face for shaping, its tables decompiled
    (so that reading them from several threads is only reading), its PostScript name."""

    face: hb.Face
    tables: ttLib.TTFont
    glyph_set: Any
    ps_name: str


@functools.lru_cache(maxsize=8)
def _shared_font(path: str) -> _SharedFont:
    data = _font_bytes(path)
    tables = ttLib.TTFont(io.BytesIO(data))
    if "CFF " in tables or "CFF2" in tables:
        raise ValueError(f"{path}: a TrueType font is expected, not CFF outlines")
    for tag in ("GDEF", "GSUB", "GPOS"):  # HarfBuzz shapes from the bytes; the PDF drops them
        if tag in tables:
            del tables[tag]
    tables.ensureDecompiled(recurse=True)
    return _SharedFont(
        face=hb.Face(data),
        tables=tables,
        glyph_set=tables.getGlyphSet(preferCFF=True),
        ps_name=read_ps_name(tables),
    )


class _SubsetFontFile(CIDFontType2):
    """pyHanko's TrueType CID font, its font program taken from `_font_subset`."""

    def __init__(self, accumulator: _Accumulator, base_ps_name: str) -> None:
        super().__init__(accumulator.tt, base_ps_name, accumulator.subset_prefix)
        self._accumulator = accumulator

    def set_font_file(self, writer: BasePdfFileWriter) -> generic.IndirectObject:
        accumulator = self._accumulator
        glyph_ids = frozenset(accumulator.glyph_ids) | _padding_glyph_ids(accumulator.font_path)
        stream = generic.StreamObject(
            {generic.pdf_name("/Filter"): generic.pdf_name("/FlateDecode")},
            encoded_data=_font_subset(accumulator.font_path, glyph_ids),
        )
        reference = writer.add_object(stream)
        self._font_descriptor[generic.pdf_name("/FontFile2")] = reference
        return reference


class _Accumulator(GlyphAccumulator):
    """pyHanko's glyph accumulator for a TrueType font, reading the font's tables from
    `_shared_font` and embedding the subset `_font_subset` makes, instead of parsing the font
    file and cutting it down again for every text drawn (~20 ms a text, three in an issuance).

    `GlyphAccumulator.__init__` (pyHanko 0.38) parses the file itself, so this sets the same
    attributes from the shared font; the rest (shaping, widths, the /ToUnicode map, the Type0
    font) is pyHanko's. The shared tables are never changed: the subset is made on a copy.
    """

    def __init__(
        self,
        *,
        writer: BasePdfFileWriter,
        font_path: str,
        font_size: int,
        ot_language_tag: str | None = None,
        ot_script_tag: str | None = None,
        writing_direction: str | None = None,
        bcp47_lang_code: str | None = None,
        obj_stream: Any = None,
    ) -> None:
        shared = _shared_font(font_path)
        FontEngine.__init__(
            self,
            writer,
            shared.ps_name,
            embedded_subset=True,
            obj_stream=obj_stream,
            font_size=font_size,
        )
        self.font_path = font_path
        self.hb_font = hb.Font(shared.face)
        self.tt = shared.tables
        self._font_ref = writer.allocate_placeholder()
        self.cff_charset = None
        self.use_raw_gids = True
        self.cidfont_obj = _SubsetFontFile(self, shared.ps_name)
        self.features = None
        self.units_per_em = shared.tables["head"].unitsPerEm
        self._glyphs: dict[int, tuple[int, int]] = {}
        self._glyph_set = shared.glyph_set
        self._cid_to_unicode: dict[int, str] = {}
        self._GlyphAccumulator__reverse_cmap = None
        self.ot_language_tag = check_ot_tag(ot_language_tag)
        self.ot_script_tag = check_ot_tag(ot_script_tag)
        if writing_direction not in (None, "ltr", "rtl", "ttb", "btt"):
            raise ValueError("Writing direction must be one of 'ltr', 'rtl', 'ttb' or 'btt'.")
        self.writing_direction = writing_direction
        self.bcp47_lang_code = bcp47_lang_code
        self._subset_created = self._write_prepared = False

    @property
    def glyph_ids(self) -> Iterable[int]:
        return self._glyphs.keys()

    def _extract_subset(self, options: subset.Options | None = None) -> None:
        """Nothing to do here: `_SubsetFontFile` embeds the subset when the font is written."""


@dataclass(frozen=True)
class _FontFactory(GlyphAccumulatorFactory):
    """Font engines for our texts: `_Accumulator`s."""

    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: Any = None
    ) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return _Accumulator(
            font_path=self.font_file,
            writer=writer,
            font_size=self.font_size,
            ot_script_tag=self.ot_script_tag,
            ot_language_tag=self.ot_language_tag,
            writing_direction=self.writing_direction,
            bcp47_lang_code=self.bcp47_lang_code,
            obj_stream=obj_stream,
        )


# KEYS, CERTIFICATES, TIME-STAMPS


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _asn1_private_key(key: rsa.RSAPrivateKey) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


class LocalTimeStampAuthority(DummyTimeStamper):
    """The system's RFC 3161 time-stamping authority, run in this process (no network).

    pyHanko's `DummyTimeStamper` issues real, signed RFC 3161 tokens; it needs an RSA key and a
    certificate with the critical timeStamping EKU. An external TSA (`HTTPTimeStamper`) fits in its
    place later.
    """

    def __init__(
        self,
        *,
        certificate: x509.Certificate,
        private_key: rsa.RSAPrivateKey,
        chain: Sequence[x509.Certificate],
    ) -> None:
        super().__init__(
            tsa_cert=_asn1_certificate(certificate),
            tsa_key=_asn1_private_key(private_key),
            certs_to_embed=SimpleCertificateStore.from_certs([_asn1_certificate(c) for c in chain]),
        )
        self._private_key = private_key

    def _sign_tst_info(
        self, tst_info_data: bytes, md_algorithm: str, dt: datetime
    ) -> tuple[bytes, cms.CMSAttributes]:
        """Sign the token's attributes with the key held since construction.

        pyHanko's DummyTimeStamper parses its DER key again for every token, and parsing an
        RSA-3072 key checks it: ~45 ms, twice per seal (the signature's token and the document
        time-stamp). Same attributes and signature as pyHanko's (RFC 3161, PKCS#1 v1.5).
        """
        hash_algorithm = getattr(hashes, md_algorithm.upper())()
        digest = hashes.Hash(hash_algorithm)
        digest.update(tst_info_data)
        signed_attributes = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": asn1_core.UTCTime(dt)})),
                simple_cms_attribute("signing_certificate", as_signing_certificate(self.tsa_cert)),
                simple_cms_attribute("message_digest", digest.finalize()),
            ]
        )
        signature = self._private_key.sign(
            signed_attributes.dump(), padding.PKCS1v15(), hash_algorithm
        )
        return signature, signed_attributes


class _ProviderSigner(signers.Signer):
    """Adapts a `SignatureProvider` to pyHanko; the provider is asked once, for the real value."""

    def __init__(self, provider: SignatureProvider) -> None:
        super().__init__(
            signing_cert=_asn1_certificate(provider.certificate),
            cert_registry=SimpleCertificateStore.from_certs(
                [_asn1_certificate(c) for c in provider.chain]
            ),
        )
        self._provider = provider

    def _max_signature_size(self) -> int:
        public_key = self._provider.certificate.public_key()
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            # DER SEQUENCE of two INTEGERs, each up to one byte longer than the curve's size.
            return 2 * ((public_key.curve.key_size + 7) // 8) + 9
        if isinstance(public_key, rsa.RSAPublicKey):
            return public_key.key_size // 8
        raise TypeError(f"Unsupported key type: {type(public_key).__name__}")

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if digest_algorithm != "sha256":
            raise ValueError(f"Only SHA-256 is supported, not {digest_algorithm}")
        if dry_run:
            # Size estimate only: do not bother a remote or interactive key holder.
            return bytes(self._max_signature_size())
        return self._provider.sign(data)


def _validation_context(
    trust_roots: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    ocsps: Sequence[bytes] = (),
) -> ValidationContext:
    """Offline and strict: trust `trust_roots` only, revocation from `crls` and `ocsps` (DER)."""
    return ValidationContext(
        trust_roots=[_asn1_certificate(c) for c in trust_roots],
        crls=[c.public_bytes(serialization.Encoding.DER) for c in crls],
        ocsps=list(ocsps),
        allow_fetching=False,
        revocation_mode="hard-fail",
    )


#: Given the certificates of a signature, the CRLs and OCSP answers (DER) known about them.
RevocationSource = Callable[
    [Sequence[x509.Certificate]], tuple[Sequence[x509.CertificateRevocationList], Sequence[bytes]]
]


def _embedded_certificates(embedded: Any) -> list[x509.Certificate]:
    """Every certificate in a signature: the signer's, the others embedded, the time-stamp's."""
    from pyhanko.sign.validation.generic_cms import extract_tst_data_iter

    found = [embedded.signer_cert, *embedded.other_embedded_certs]
    if embedded.sig_object_type != "/DocTimeStamp":
        for token in extract_tst_data_iter(embedded.signer_info, signed=False):
            found += [c.chosen for c in token["certificates"] or () if c.name == "certificate"]
    certificates = []
    for certificate in found:
        parsed = x509.load_der_x509_certificate(certificate.dump())
        if parsed not in certificates:
            certificates.append(parsed)
    return certificates


def pdf_signature_certificates(pdf: bytes, field_name: str) -> list[x509.Certificate]:
    """The certificates carried by the signature `field_name` (signer first, time-stamp's too)."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    for embedded in reader.embedded_signatures:
        if embedded.field_name == field_name:
            return _embedded_certificates(embedded)
    raise StateError("Không tìm thấy chữ ký trong văn bản.", code="signature_missing")


def pdf_add_validation_info(
    pdf: bytes,
    *,
    field_name: str,
    trust_roots: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    ocsps: Sequence[bytes],
) -> bytes:
    """Make the signature `field_name` PAdES B-LT: add its validation data to the DSS.

    The signer's and the time-stamp's certificate paths to `trust_roots`, with the given CRLs and
    OCSP answers, go into the document security store in an incremental update (pyHanko's
    `async_add_validation_info`). Nothing is fetched here; raises (pyHanko's validation errors)
    if a path cannot be validated with what is given — the caller keeps the B-T PDF then.
    """
    from pyhanko.sign.validation import async_add_validation_info

    async def add() -> bytes:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = next(s for s in reader.embedded_signatures if s.field_name == field_name)
        output = await async_add_validation_info(
            embedded, _validation_context(trust_roots, crls, ocsps), embed_roots=False
        )
        return output.getvalue()

    return _run(add())


def _run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a pyHanko coroutine from synchronous code (0.38 has no sync digest/finish API).

    A thread that already runs an event loop (an async caller, a sync Playwright session) cannot
    `asyncio.run`; the coroutine then runs on a loop of its own in a worker thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        running = False
    else:
        running = True
    if not running:  # outside the except block: an error of pyHanko's is not chained to it
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


# LOCATING THINGS ON THE PAGE (pdfplumber)

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in PDF points, origin bottom left


@dataclass(frozen=True)
class _PageGeometry:
    left: float
    bottom: float
    top: float

    @classmethod
    def of(cls, page: Any) -> _PageGeometry:
        x0, y0, _x1, y1 = (float(v) for v in page.mediabox)
        return cls(left=x0, bottom=y0, top=y1)

    def x(self, plumber_x: float) -> float:
        return self.left + plumber_x

    def y(self, plumber_top: float) -> float:
        return self.top - plumber_top

    def baseline(self, char: dict[str, Any]) -> float:
        """The PDF y of the baseline a character sits on (its text matrix's translation)."""
        return self.bottom + char["matrix"][5]


def _same_line(char: dict[str, Any], hit: dict[str, Any]) -> bool:
    return abs(char["top"] - hit["top"]) < 2 and char["text"].strip() != ""


def _is_whole_phrase(page: Any, hit: dict[str, Any]) -> bool:
    """True if no word touches `hit` on its line, so "CHỦ TỊCH" does not match "KT. CHỦ TỊCH"."""
    reach = 0.6 * hit["chars"][0]["size"]  # a little more than one space
    return not any(
        _same_line(c, hit)
        and (
            hit["x0"] - reach < c["x1"] <= hit["x0"] + 0.5
            or hit["x1"] - 0.5 <= c["x0"] < hit["x1"] + reach
        )
        for c in page.chars
    )


def _locate_signature_box(pdf: bytes, anchor_text: str) -> tuple[int, Box]:
    """Find the box between the position line `anchor_text` and the name below it."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return _signature_box_in(document, anchor_text)


def _signature_box_in(document: Any, anchor_text: str) -> tuple[int, Box]:
    """`_locate_signature_box` in an open pdfplumber document.

    The signature block is on the last page that carries the position line: appendices in the
    same file come after it.
    """
    for page_index in range(len(document.pages) - 1, -1, -1):
        page = document.pages[page_index]
        hits = [h for h in page.search(anchor_text, regex=False) if _is_whole_phrase(page, h)]
        if hits:
            break
    else:
        raise InvalidInput(
            f"Không tìm thấy dòng chức vụ “{anchor_text}” trong khối chữ ký của văn bản.",
            code="signature_anchor_missing",
        )
    anchor = max(hits, key=lambda h: h["top"])
    center = (anchor["x0"] + anchor["x1"]) / 2
    below = [
        c["top"]
        for c in page.chars
        if c["top"] > anchor["bottom"] + 1
        and c["text"].strip()
        and abs((c["x0"] + c["x1"]) / 2 - center) < SIGNATURE_BOX_WIDTH / 2
    ]
    geometry = _PageGeometry.of(page)
    top = geometry.y(anchor["bottom"]) - 2
    gap = (min(below) - anchor["bottom"] - 4) if below else SIGNATURE_BOX_MAX_HEIGHT
    height = min(max(gap, SIGNATURE_BOX_MIN_HEIGHT), SIGNATURE_BOX_MAX_HEIGHT)
    left = min(
        max(geometry.x(center) - SIGNATURE_BOX_WIDTH / 2, geometry.x(0) + 5),
        geometry.x(float(page.width)) - SIGNATURE_BOX_WIDTH - 5,
    )
    return page_index, (left, top - height, left + SIGNATURE_BOX_WIDTH, top)


@dataclass(frozen=True)
class _Gap:
    """Where an issuance field goes: its rectangle and the font size of the line it sits on."""

    rect: Box
    size: int


# The field reaches 0.3 × size below the baseline (descenders) and 1.05 × size above it (stacked
# Vietnamese accents); the filled text sits on the baseline of the line it covers.
GAP_DESCENT = 0.3
GAP_ASCENT = 1.05


def _gap(x0: float, x1: float, baseline: float, size: float) -> _Gap:
    return _Gap(
        rect=(x0, baseline - GAP_DESCENT * size, x1, baseline + GAP_ASCENT * size), size=round(size)
    )


def _locate_issue_gaps(pdf: bytes, fonts: Fonts) -> tuple[_Gap, _Gap]:
    """Find the blank number after "Số:" and the blank date "ngày … tháng … năm …" on page 1."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return _issue_gaps_in(document, fonts)


def _issue_gaps_in(document: Any, fonts: Fonts) -> tuple[_Gap, _Gap]:
    """`_locate_issue_gaps` in an open pdfplumber document.

    Both must be in the header (the top third of the page).
    """
    page = document.pages[0]
    geometry = _PageGeometry.of(page)
    header = page.height / 3
    number_gap = None
    for hit in page.search("Số:", regex=False):
        following = sorted(
            (c for c in page.chars if _same_line(c, hit) and c["x0"] >= hit["x1"] - 0.1),
            key=lambda c: c["x0"],
        )
        if hit["top"] < header and following and following[0]["text"] == "/":
            number_gap = _gap(
                geometry.x(hit["x1"] + 0.5),
                geometry.x(following[0]["x0"]),
                geometry.baseline(hit["chars"][0]),
                hit["chars"][0]["size"],
            )
            break
    if number_gap is None:
        raise InvalidInput(
            "Không tìm thấy chỗ trống số văn bản (“Số:      /…”) ở đầu trang 1.",
            code="issue_number_gap_missing",
        )
    date_gap = None
    for hit in page.search(r"ngày\s+tháng\s+năm", regex=True):
        if hit["top"] < header:
            size = hit["chars"][0]["size"]
            line_end = max(
                c["x1"] for c in page.chars if _same_line(c, hit) and c["x0"] >= hit["x0"]
            )
            x0 = hit["x0"] - 0.5
            x1 = max(line_end + 1, x0 + _text_width(fonts.italic, WIDEST_DATE_TEXT, size) + 2)
            date_gap = _gap(
                geometry.x(x0),
                min(geometry.x(x1), geometry.x(page.width) - 5),
                geometry.baseline(hit["chars"][0]),
                size,
            )
            break
    if date_gap is None:
        raise InvalidInput(
            "Không tìm thấy chỗ trống ngày ban hành (“ngày      tháng      năm      ”) "
            "ở đầu trang 1.",
            code="issue_date_gap_missing",
        )
    return number_gap, date_gap


# ISSUANCE FIELDS


def pdf_add_issue_fields(
    pdf: bytes, *, fonts: Fonts | None = None, anchors: PdfAnchors | None = None
) -> bytes:
    """Add the empty number and date fields that the clerk fills at issuance; run BEFORE signing.

    The fields (`NUMBER_FIELD`, `DATE_FIELD`) are read-only text fields with an empty appearance,
    placed over the blank gap after "Số:" and over the date line from "ngày" to its end. Filling
    them after the leader signed is form filling, which PAdES validators accept. Returns `pdf`
    unchanged if it has both fields already. Raises `InvalidInput` if the gaps are not found,
    `StateError` if the PDF is already signed.
    """
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    existing = _field_names(writer, "/Tx")
    if {NUMBER_FIELD, DATE_FIELD} <= existing:
        return pdf
    if _field_names(writer, "/Sig", filled=True):
        raise StateError("Không thể thêm ô số và ngày vào văn bản đã ký số.", code="already_signed")
    if anchors is not None:
        number_gap, date_gap = anchors.issue_gaps()
    else:
        number_gap, date_gap = _locate_issue_gaps(pdf, fonts or fonts_prepare())
    form_fields = _ensure_form(writer)
    page_ref = writer.find_page_for_modification(0)[0]
    for name, label, gap in (
        (NUMBER_FIELD, "Số văn bản", number_gap),
        (DATE_FIELD, "Ngày ban hành", date_gap),
    ):
        width, height = gap.rect[2] - gap.rect[0], gap.rect[3] - gap.rect[1]
        empty = RawContent(b"", box=layout.BoxConstraints(width=width, height=height))
        field = generic.DictionaryObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/Widget"),
                generic.pdf_name("/FT"): generic.pdf_name("/Tx"),
                generic.pdf_name("/T"): generic.pdf_string(name),
                generic.pdf_name("/TU"): generic.pdf_string(label),
                generic.pdf_name("/Rect"): generic.ArrayObject(
                    generic.FloatObject(round(v, 2)) for v in gap.rect
                ),
                generic.pdf_name("/P"): page_ref,
                generic.pdf_name("/F"): generic.NumberObject(4),  # print
                generic.pdf_name("/Ff"): generic.NumberObject(1),  # read-only for viewers
                generic.pdf_name("/DA"): generic.pdf_string(f"/TiRo {gap.size} Tf 0 g"),
                generic.pdf_name("/AP"): generic.DictionaryObject(
                    {generic.pdf_name("/N"): writer.add_object(empty.as_form_xobject())}
                ),
            }
        )
        field_ref = writer.add_object(field)
        form_fields.append(field_ref)
        writer.register_annotation(page_ref, field_ref)
    writer.update_container(form_fields)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _field_names(
    writer: BasePdfFileWriter, field_type: str, *, filled: bool | None = None
) -> set[str]:
    try:
        form_fields = writer.root["/AcroForm"]["/Fields"]
    except KeyError:
        return set()
    return {
        name
        for name, _value, _ref in enumerate_fields_in(
            form_fields, filled_status=filled, refs_seen=set(), target_field_type=field_type
        )
    }


def _ensure_form(writer: BasePdfFileWriter) -> generic.ArrayObject:
    """Return the AcroForm's /Fields, creating the form (with a Times font for /DA) if needed."""
    root = writer.root
    if "/AcroForm" not in root:
        root[generic.pdf_name("/AcroForm")] = writer.add_object(generic.DictionaryObject())
        writer.update_root()
    form = root["/AcroForm"]
    if "/Fields" not in form:
        form[generic.pdf_name("/Fields")] = generic.ArrayObject()
    if "/DR" not in form:
        times = generic.DictionaryObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/Font"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
                generic.pdf_name("/BaseFont"): generic.pdf_name("/Times-Roman"),
                generic.pdf_name("/Encoding"): generic.pdf_name("/WinAnsiEncoding"),
            }
        )
        form[generic.pdf_name("/DR")] = generic.DictionaryObject(
            {
                generic.pdf_name("/Font"): generic.DictionaryObject(
                    {generic.pdf_name("/TiRo"): writer.add_object(times)}
                )
            }
        )
    writer.update_container(form)
    return form["/Fields"]


class _OpaqueTextFieldContent(TextFieldContent):
    """A text field appearance painted on white, so it hides the blank line underneath."""

    def render(self) -> bytes:
        background = b"q 1 g 0 0 %g %g re f Q " % (self.box.width, self.box.height)
        return background + super().render()


def _fill_text_field(
    writer: BasePdfFileWriter,
    *,
    name: str,
    text: str,
    font: Path,
    x_align: layout.AxisAlignment,
) -> None:
    """Set the value of the empty text field `name` and give it a matching appearance stream.

    The text is drawn on white in `font` at the size named in the field's /DA, on the baseline of
    the line it covers. Only /V, /AP and /DA (dropped: the appearance is static) change, which
    pyHanko's diff policy classifies as form filling. Raises `StateError` if the field is missing
    or already filled.
    """
    try:
        field_ref = find_existing_empty_field(writer, name, field_type="/Tx")
    except FormFillingError as error:
        raise StateError(
            "Văn bản không có ô số và ngày ban hành còn trống.", code="issue_field_missing"
        ) from error
    field = field_ref.get_object()
    annot = get_single_field_annot(field)
    size_match = re.search(r"(\d+(?:\.\d+)?)\s+Tf", str(field.get("/DA", "")))
    size = round(float(size_match.group(1))) if size_match else 13
    style = _text_style(
        font,
        size,
        box_layout_rule=layout.SimpleBoxLayoutRule(
            x_align=x_align,
            y_align=layout.AxisAlignment.ALIGN_MIN,
            margins=layout.Margins(bottom=GAP_DESCENT * size),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
    )
    width, height = annot_width_height(annot)
    _OpaqueTextFieldContent(
        writer=writer,
        text_content=text,
        text_style=style,
        box=layout.BoxConstraints(width=width, height=height),
    ).apply_appearance(annot)
    field[generic.pdf_name("/V")] = generic.TextStringObject(text)
    field.pop(generic.pdf_name("/DA"), None)
    writer.update_container(annot)
    writer.mark_update(field_ref)


def pdf_fill_issue_fields_and_seal(
    pdf: bytes,
    *,
    number_text: str,
    date_text: str,
    seal: SignatureProvider,
    seal_png: bytes,
    over_field: str,
    field_name: str,
    trust_roots: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    timestamper: TimeStamper,
    fonts: Fonts | None = None,
    reason: str = "Văn thư ký số của cơ quan, phát hành văn bản",
    verify_url: str | None = None,
    anchors: PdfAnchors | None = None,
    ocsps: Sequence[bytes] = (),
) -> bytes:
    """Fill the number and date of a signed PDF, then add the agency's seal signature (B-LTA).

    `number_text` fills the gap before "/KH-…" (e.g. "262"); `date_text` replaces the words from
    "ngày" to the end of the date line (e.g. "ngày 22 tháng 11 năm 2026"). The values go into one
    incremental update with their appearance streams; the seal is a second, approval signature
    (never a certification: it comes last) whose appearance is `seal_png` at 36 mm, overlapping the
    left third of the appearance box of the signature field `over_field` (ND30 Phụ lục I II.8.a).
    Validation info (chain, CRLs and the OCSP answers `ocsps` for a seal certificate of an external
    CA) is embedded and a document time-stamp closes the file, so the result validates offline. Raises `StateError` if the fields are missing or already filled, or
    if `over_field` is not a signed signature field.

    With `verify_url`, the seal signature gets a second widget: a QR code of `verify_url` and the
    text "Kiểm tra văn bản tại: <verify_url>", at the bottom left of page 1 (or of the last page
    if page 1 has no room there). It belongs to the seal's own field, in the seal's revision, so
    the seal signs it and the leader's signature still sees only form filling.
    """
    fonts = fonts or fonts_prepare()
    link = None
    if verify_url and anchors is not None and anchors.text_bounds:
        link = _verification_link_from(anchors.text_bounds, verify_url, fonts, field_name)
    elif verify_url:
        link = _locate_verification_link(pdf, verify_url, fonts, field_name)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    _fill_number_and_date(writer, number_text, date_text, fonts)
    page_index, leader_box = _signature_widget(writer, over_field)
    filled = io.BytesIO()
    writer.write(filled)

    x1, y1, x2, y2 = leader_box
    seal_right = x1 + (x2 - x1) * SEAL_SHARE_OF_SIGNATURE
    middle = (y1 + y2) / 2
    seal_box = (
        seal_right - SEAL_DIAMETER_PT,
        middle - SEAL_DIAMETER_PT / 2,
        seal_right,
        middle + SEAL_DIAMETER_PT / 2,
    )
    style = _SealStampStyle(
        verification_link=link,
        border_width=0,
        background=PdfImage(Image.open(io.BytesIO(seal_png))),
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        embed_validation_info=True,
        use_pades_lta=True,
        timestamp_field_name=f"{field_name}_timestamp",
        validation_context=_validation_context(trust_roots, crls, ocsps),
    )
    pdf_signer = signers.PdfSigner(
        metadata,
        signer=_ProviderSigner(seal),
        timestamper=timestamper,
        stamp_style=style,
        new_field_spec=fields.SigFieldSpec(
            field_name,
            on_page=page_index,
            box=seal_box,
            # a field with a separate widget can take the second (verification link) widget
            combine_annotation=link is None,
        ),
    )
    filled.seek(0)
    output = _run(pdf_signer.async_sign_pdf(IncrementalPdfFileWriter(filled, strict=False)))
    return output.getvalue()


#: The mark across every page of an issuance preview (red, so no one takes it for the original).
PREVIEW_MARK = "BẢN XEM TRƯỚC — CHƯA PHÁT HÀNH"
PREVIEW_MARK_COLOR = (0.8, 0.0, 0.0)


def _fill_number_and_date(
    writer: IncrementalPdfFileWriter, number_text: str, date_text: str, fonts: Fonts
) -> None:
    """The number (flush right, before "/KH-…") and the date (italic, after the place)."""
    _fill_text_field(
        writer,
        name=NUMBER_FIELD,
        text=number_text,
        font=fonts.regular,
        x_align=layout.AxisAlignment.ALIGN_MAX,
    )
    _fill_text_field(
        writer,
        name=DATE_FIELD,
        text=date_text,
        font=fonts.italic,
        x_align=layout.AxisAlignment.ALIGN_MIN,
    )


def pdf_issue_preview(
    pdf: bytes, *, number_text: str, date_text: str, fonts: Fonts | None = None
) -> bytes:
    """What issuing will print, for the clerk to read first: the number and date filled in as
    `pdf_fill_issue_fields_and_seal` fills them, no seal, and `PREVIEW_MARK` in red at the foot of
    every page (added to the pages' content, so the leader's signature no longer validates on
    this copy: it is a preview, never a document). Raises `StateError` as filling does."""
    fonts = fonts or fonts_prepare()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    _fill_number_and_date(writer, number_text, date_text, fonts)
    style = TextStampStyle(
        stamp_text=PREVIEW_MARK,
        border_width=1,
        text_box_style=_text_style(fonts.regular, 12, text_color=PREVIEW_MARK_COLOR),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(2),
            inner_content_scaling=layout.InnerScaling.NO_SCALING,
        ),
    )
    width, height = 300.0, 36.0
    page_count = int(writer.root["/Pages"]["/Count"])
    for index in range(page_count):
        page = writer.find_page_for_modification(index)[0].get_object()
        x1, y1, x2, _y2 = (float(v) for v in page["/MediaBox"])
        # In the bottom margin (20 mm; the page numbers are in the top one), centred: it covers
        # nothing of the document.
        stamp = TextStamp(writer, style, box=layout.BoxConstraints(width=width, height=height))
        stamp.apply(index, int((x1 + x2 - width) / 2), int(y1 + 8))
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _signature_widget(writer: BasePdfFileWriter, name: str) -> tuple[int, Box]:
    """Page index and /Rect of the signed signature field `name`."""
    try:
        form_fields = writer.root["/AcroForm"]["/Fields"]
        _name, _value, field_ref = next(
            enumerate_fields_in(
                form_fields,
                filled_status=True,
                with_name=name,
                refs_seen=set(),
                target_field_type="/Sig",
            )
        )
    except (KeyError, StopIteration) as error:
        raise StateError(
            "Văn bản chưa có chữ ký số của người có thẩm quyền.", code="not_signed"
        ) from error
    annot = get_single_field_annot(field_ref.get_object())
    page_ref = annot.raw_get("/P")
    page_count = int(writer.root["/Pages"]["/Count"])
    page_index = next(
        i
        for i in range(page_count)
        if writer.find_page_for_modification(i)[0].reference == page_ref.reference
    )
    x1, y1, x2, y2 = (float(v) for v in annot["/Rect"])
    return page_index, (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


# SIGNING


@dataclass(frozen=True)
class SignatureAppearance:
    """What the leader's visible signature says: who, in which position, when (local time)."""

    signer_name: str
    position: str
    signed_at: datetime

    def text(self) -> str:
        offset = self.signed_at.strftime("%z")
        return (
            f"Ký bởi: {self.signer_name}\n"
            f"Chức vụ: {self.position}\n"
            f"Thời gian: {self.signed_at:%d/%m/%Y %H:%M:%S} {offset[:3]}:{offset[3:]}"
        )


# With a signature image the three lines go in a band at the bottom of the box, in a smaller
# size, and the image is centred above them (ND30 Phụ lục I II.7.d: between position and name).
# The text always keeps to the right of the part the seal will cover at issuance (the left
# third of the box): "Ký bởi: …" must stay readable on the sealed document, however long the name.
SIGNATURE_TEXT_SIZE_WITH_IMAGE = 7
SIGNATURE_TEXT_BAND = 3 * SIGNATURE_TEXT_SIZE_WITH_IMAGE * 1.25 + 2


def _signature_style(
    fonts: Fonts, signature_png: bytes | None, box_width: float = SIGNATURE_BOX_WIDTH
) -> TextStampStyle:
    beside_seal = box_width * SEAL_SHARE_OF_SIGNATURE + SIGNATURE_TEXT_GAP
    if signature_png is None:
        return TextStampStyle(
            stamp_text="%(appearance)s",
            border_width=0,
            text_box_style=_text_style(
                fonts.regular, SIGNATURE_TEXT_SIZE, text_color=SIGNATURE_TEXT_COLOR
            ),
            inner_content_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins(left=beside_seal, right=2, top=2, bottom=2),
                inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
            ),
        )
    return TextStampStyle(
        stamp_text="%(appearance)s",
        border_width=0,
        background=PdfImage(Image.open(io.BytesIO(signature_png))),
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins(left=2, right=2, top=2, bottom=SIGNATURE_TEXT_BAND),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
        text_box_style=_text_style(
            fonts.regular, SIGNATURE_TEXT_SIZE_WITH_IMAGE, text_color=SIGNATURE_TEXT_COLOR
        ),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MIN,
            margins=layout.Margins(left=beside_seal, right=2, bottom=1),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
    )


def _placeholder_size(certificate: x509.Certificate) -> int:
    """The longest signature value the key can give, to size `/Contents` (notes §1.3)."""
    public_key = certificate.public_key()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        # DER SEQUENCE of two INTEGERs, each up to one byte longer than the curve's size.
        return 2 * ((public_key.curve.key_size + 7) // 8) + 9
    if isinstance(public_key, rsa.RSAPublicKey):
        return public_key.key_size // 8
    raise TypeError(f"Unsupported key type: {type(public_key).__name__}")


def _external_signer(
    certificate: x509.Certificate, chain: Sequence[x509.Certificate], value: bytes | int
) -> signers.ExternalSigner:
    return signers.ExternalSigner(
        signing_cert=_asn1_certificate(certificate),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_certificate(c) for c in chain]),
        signature_value=value,
    )


async def _prepare(
    pdf: bytes,
    *,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate],
    pdf_signer_for: Any,
    text_params: dict[str, str],
) -> PreparedSignature:
    external = _external_signer(certificate, chain, _placeholder_size(certificate))
    pdf_signer = pdf_signer_for(external)
    prepared, _tbs, output = await pdf_signer.async_digest_doc_for_signing(
        IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False),
        appearance_text_params=text_params,
    )
    attributes = await external.signed_attrs(prepared.document_digest, "sha256", use_pades=True)
    return PreparedSignature(
        prepared_pdf=output.getvalue(),
        document_digest=prepared.document_digest,
        reserved_start=prepared.reserved_region_start,
        reserved_end=prepared.reserved_region_end,
        signed_attributes=attributes.dump(),
        certificate=certificate,
        chain=tuple(chain),
    )


def pdf_prepare_signature(
    pdf: bytes,
    *,
    signer: KeyHolder,
    field_name: str,
    anchor_text: str,
    appearance: SignatureAppearance,
    timestamper: TimeStamper,
    signature_png: bytes | None = None,
    fonts: Fonts | None = None,
    reason: str = "Người có thẩm quyền ký số văn bản",
    anchors: PdfAnchors | None = None,
) -> PreparedSignature:
    """Step 1 of a person's signature: field, appearance, reserved `/Contents`, signed attributes.

    The appearance box sits on the last page between the line `anchor_text` (the signer's position,
    e.g. "PHÓ CHỦ TỊCH"; a line such as "KT. CHỦ TỊCH" does not match "CHỦ TỊCH") and the name
    below it. It shows `signature_png` (the person's handwritten signature, blue on transparent)
    centred, with `appearance.text()` below it in blue, in Liberation Serif (Vietnamese-safe);
    without an image, the text alone. The text keeps to the right of the left third of the box,
    which the seal covers at issuance. `timestamper` must be the one `pdf_finish_signature`
    will use: its dummy token sizes the reserved space. No key is used. Raises `InvalidInput` if
    the anchor is not on the last page.
    """
    fonts = fonts or fonts_prepare()
    if anchors is not None and anchors.position_line == anchor_text:
        page_index, box = anchors.signature_box()
    else:
        page_index, box = _locate_signature_box(pdf, anchor_text)
    style = _signature_style(fonts, signature_png, box[2] - box[0])
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
    )

    def pdf_signer_for(external: signers.Signer) -> signers.PdfSigner:
        return signers.PdfSigner(
            metadata,
            signer=external,
            timestamper=timestamper,
            stamp_style=style,
            new_field_spec=fields.SigFieldSpec(field_name, on_page=page_index, box=box),
        )

    return _run(
        _prepare(
            pdf,
            certificate=signer.certificate,
            chain=signer.chain,
            pdf_signer_for=pdf_signer_for,
            text_params={"appearance": appearance.text()},
        )
    )


def _message_digest(signed_attributes: bytes) -> bytes | None:
    for attribute in cms.CMSAttributes.load(signed_attributes):
        if attribute["type"].native == "message_digest":
            return bytes(attribute["values"][0].native)
    return None


async def _finish(
    prepared: PreparedSignature, signature_value: bytes, timestamper: TimeStamper
) -> bytes:
    external = _external_signer(prepared.certificate, prepared.chain, signature_value)
    signature_cms = await external.async_sign_prescribed_attributes(
        "sha256",
        signed_attrs=cms.CMSAttributes.load(prepared.signed_attributes),
        timestamper=timestamper,
    )
    output = io.BytesIO(prepared.prepared_pdf)
    await PdfTBSDocument.async_finish_signing(
        output,
        PreparedByteRangeDigest(
            prepared.document_digest, prepared.reserved_start, prepared.reserved_end
        ),
        signature_cms,
    )
    return output.getvalue()


def pdf_finish_signature(
    prepared: PreparedSignature, *, signature_value: bytes, timestamper: TimeStamper
) -> bytes:
    """Step 3: embed `signature_value` with an RFC 3161 time-stamp (PAdES B-T); return the PDF.

    `signature_value` is what CMS embeds (DER ECDSA or PKCS#1 RSA) and must already have been
    checked against the certificate by the provider (`signature_value_check`); it is checked once
    more here, together with the binding of the signed attributes to the prepared byte range.
    Raises `InvalidSignatureValue` if the value does not verify, `StateError` if the signed
    attributes do not carry the prepared document digest (a corrupted session).
    """
    if _message_digest(prepared.signed_attributes) != prepared.document_digest:
        raise StateError(
            "Dữ liệu chuẩn bị ký không khớp với văn bản (mã băm khác); vui lòng ký lại.",
            code="prepared_digest_mismatch",
        )
    signature_value_check(prepared.certificate, prepared.signed_attributes, signature_value)
    return _run(_finish(prepared, signature_value, timestamper))


def pdf_sign(
    pdf: bytes,
    *,
    signer: SignatureProvider,
    field_name: str,
    anchor_text: str,
    appearance: SignatureAppearance,
    timestamper: TimeStamper,
    signature_png: bytes | None = None,
    fonts: Fonts | None = None,
    reason: str = "Người có thẩm quyền ký số văn bản",
) -> bytes:
    """Sign `pdf` as a person in one go: prepare, ask `signer` at once, finish (PAdES B-T).

    The same three steps as a browser signature (`pdf_prepare_signature`, then the value, then
    `pdf_finish_signature`), with a key holder that answers immediately.
    """
    prepared = pdf_prepare_signature(
        pdf,
        signer=signer,
        field_name=field_name,
        anchor_text=anchor_text,
        appearance=appearance,
        timestamper=timestamper,
        signature_png=signature_png,
        fonts=fonts,
        reason=reason,
    )
    value = signature_value_check(
        signer.certificate, prepared.signed_attributes, signer.sign(prepared.signed_attributes)
    )
    return pdf_finish_signature(prepared, signature_value=value, timestamper=timestamper)


# VALIDATION


@dataclass(frozen=True)
class SignatureReport:
    """The verdict on one signature (`kind` "signature") or document time-stamp ("timestamp").

    `kind` is "document" for the single report on a file that could not be read.

    `bottom_line` is pyHanko's overall judgement: intact, valid, trusted, a valid time-stamp if
    any, and later changes within what the signature allows. `modification_level` names the worst
    later change (e.g. "NONE", "FORM_FILLING", "LTA_UPDATES", "ANNOTATIONS", "OTHER"); `coverage`
    what the signature covers ("ENTIRE_FILE", "ENTIRE_REVISION"). `error` is set (and the flags
    are False) when the signature or the file could not be read at all.
    """

    field_name: str
    kind: str
    signer_name: str
    certificate_serial: str
    certificate_issuer: str
    signing_time: datetime | None
    timestamp_time: datetime | None
    intact: bool
    valid: bool
    trusted: bool
    bottom_line: bool
    modification_level: str
    coverage: str
    summary: str
    error: str | None = None


def _failed_report(*, field_name: str, kind: str, error: str) -> SignatureReport:
    return SignatureReport(
        field_name=field_name,
        kind=kind,
        signer_name="",
        certificate_serial="",
        certificate_issuer="",
        signing_time=None,
        timestamp_time=None,
        intact=False,
        valid=False,
        trusted=False,
        bottom_line=False,
        modification_level="",
        coverage="",
        summary="",
        error=error,
    )


def _enum_name(value: Any) -> str:
    return value.name if value is not None else ""


async def _validate_all(
    pdf: bytes,
    trust_roots: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    revocation: RevocationSource | None = None,
) -> list[SignatureReport]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    reports = []
    for embedded in reader.embedded_signatures:
        name = embedded.field_name
        kind = "timestamp" if embedded.sig_object_type == "/DocTimeStamp" else "signature"
        try:
            extra_crls, ocsps = (
                revocation(_embedded_certificates(embedded)) if revocation else ((), ())
            )
            context = _validation_context(trust_roots, [*crls, *extra_crls], ocsps)
            if kind == "timestamp":
                status = await async_validate_pdf_timestamp(embedded, validation_context=context)
                signing_time, timestamp_time = None, status.timestamp
                # pyHanko gives document time-stamps no bottom line: apply the signatures' rule.
                bottom_line = (
                    status.intact
                    and status.valid
                    and status.trusted
                    and status.docmdp_ok is not False
                )
            else:
                status = await async_validate_pdf_signature(
                    embedded, signer_validation_context=context
                )
                signing_time = status.signer_reported_dt
                timestamp_time = (
                    status.timestamp_validity.timestamp if status.timestamp_validity else None
                )
                bottom_line = status.bottom_line
        except Exception as error:  # a broken signature is a verdict, not a crash
            logger.info("Signature %s could not be validated: %s", name, error)
            reports.append(_failed_report(field_name=name, kind=kind, error=str(error)))
            continue
        certificate = status.signing_cert
        reports.append(
            SignatureReport(
                field_name=name,
                kind=kind,
                signer_name=certificate.subject.native.get("common_name", ""),
                certificate_serial=format(certificate.serial_number, "x"),
                certificate_issuer=certificate.issuer.human_friendly,
                signing_time=signing_time,
                timestamp_time=timestamp_time,
                intact=status.intact,
                valid=status.valid,
                trusted=status.trusted,
                bottom_line=bottom_line,
                modification_level=_enum_name(status.modification_level),
                coverage=_enum_name(status.coverage),
                summary=status.summary(),
            )
        )
    return reports


def pdf_validate(
    pdf: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList] = (),
    revocation: RevocationSource | None = None,
) -> list[SignatureReport]:
    """Validate every signature and document time-stamp in `pdf`, in file order, offline.

    Trust is `trust_roots` only (no OS store, no fetching here). Revocation is checked against
    `crls`, plus what `revocation` (if given) returns for each signature's certificates — the
    CRLs and OCSP answers of an external CA, which the caller may fetch — at the current time
    (hard-fail: a certificate with a CRL distribution point and no CRL is untrusted); the
    validation data embedded at issuance (DSS) is for long-term (AdES-LTA)
    validation and is not read here. Never raises for a bad signature or an unreadable file: an
    unknown CA gives trusted=False, a changed byte intact=False, and a file that cannot be parsed
    one report of kind "document" with `error` set.
    """
    try:
        return _run(_validate_all(pdf, trust_roots, crls, revocation))
    except Exception as error:  # unreadable input is reported, not raised
        logger.info("PDF could not be read for validation: %s", error)
        return [_failed_report(field_name="", kind="document", error=str(error))]


# VERIFICATION LINK AT ISSUANCE (QR code + address, a second widget of the seal signature)

VERIFY_LINK_LABEL = "Kiểm tra văn bản tại:"
VERIFY_QR_SIZE = 40.0  # 14 mm with the quiet zone: about 0.38 mm per module for such a link
VERIFY_TEXT_SIZE = 8
VERIFY_LINK_MARGIN = 6.0  # between the QR code and the text, and above the box
VERIFY_LINK_BOTTOM = 12.0  # from the page's bottom edge: printers leave about 4 mm blank
VERIFY_LINK_FLAGS = 4 | 128  # print, locked


@dataclass(frozen=True)
class _VerificationLink:
    """Where the verification widget goes and what it says."""

    url: str
    field_name: str  # the seal's signature field, which the widget joins
    page_index: int
    box: Box
    fonts: Fonts


@dataclass(frozen=True)
class _TextBounds:
    """Where a page's text ends: its left edge and lowest character (pdfplumber, from the top),
    and the page's size and origin; enough to place the verification link."""

    page_index: int
    left: float
    lowest: float
    width: float
    height: float
    origin_x: float
    origin_y: float


def _text_bounds_in(document: Any, page_index: int) -> _TextBounds:
    page = document.pages[page_index]
    chars = [c for c in page.chars if c["text"].strip()]
    x0, y0, _x1, _y1 = (float(v) for v in page.mediabox)
    return _TextBounds(
        page_index=page_index,
        left=min((c["x0"] for c in chars), default=56.0),
        lowest=max((c["bottom"] for c in chars), default=0.0),
        width=float(page.width),
        height=float(page.height),
        origin_x=x0,
        origin_y=y0,
    )


def _locate_verification_link(
    pdf: bytes, url: str, fonts: Fonts, field_name: str
) -> _VerificationLink:
    """Place the link at the bottom left, under the text of page 1 (else of the last page)."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        first = _text_bounds_in(document, 0)
        bounds = [first]
        last = len(document.pages) - 1
        if last and not _link_fits(first):
            bounds.append(_text_bounds_in(document, last))  # read only when page 1 is full
    return _verification_link_from(bounds, url, fonts, field_name)


def _link_fits(bounds: _TextBounds) -> bool:
    return bounds.height - bounds.lowest >= VERIFY_LINK_BOTTOM + VERIFY_QR_SIZE + 2


def _verification_link_from(
    bounds: Sequence[_TextBounds], url: str, fonts: Fonts, field_name: str
) -> _VerificationLink:
    """The link's place given the text bounds of page 1 and, if read, of the last page.

    The box starts at the left edge of the text, `VERIFY_LINK_BOTTOM` above the page's bottom
    edge, and needs that much free space below the lowest character plus `VERIFY_QR_SIZE`; if
    neither page has it, page 1 is used anyway.
    """
    text_width = max(
        _text_width(fonts.regular, VERIFY_LINK_LABEL, VERIFY_TEXT_SIZE),
        _text_width(fonts.regular, url, VERIFY_TEXT_SIZE),
    )
    width = VERIFY_QR_SIZE + 3 * VERIFY_LINK_MARGIN + text_width
    page = next((b for b in bounds if _link_fits(b)), None)
    if page is None:
        logger.info("No free space for the verification link; it may overlap the page's text.")
        page = bounds[0]
    x1 = page.origin_x + page.left
    y1 = page.origin_y + VERIFY_LINK_BOTTOM
    box = (x1, y1, min(x1 + width, page.origin_x + page.width - 5), y1 + VERIFY_QR_SIZE)
    return _VerificationLink(
        url=url, field_name=field_name, page_index=page.page_index, box=box, fonts=fonts
    )


# ANCHORS: everything the signature and the seal look for on the page, found in one reading


@dataclass(frozen=True)
class PdfAnchors:
    """Where the issuance fields, the leader's signature box and the verification link go on a
    plan's PDF: found in one reading of page 1 and the last page (pdfplumber, the slow part of
    signing), kept with the rendered PDF, and used by `pdf_add_issue_fields`,
    `pdf_prepare_signature` and `pdf_fill_issue_fields_and_seal` instead of reading the PDF again
    (each reading took 40-130 ms). Signing and filling fields add annotations only, so the
    anchors of the rendered PDF hold for the signed one. What was not found is kept as the
    refusal to raise when it is needed.
    """

    position_line: str
    number_gap: _Gap | None = None
    date_gap: _Gap | None = None
    gaps_missing: tuple[str, str] | None = None  # (code, message)
    signature: tuple[int, Box] | None = None
    signature_missing: tuple[str, str] | None = None
    text_bounds: tuple[_TextBounds, ...] = ()

    def issue_gaps(self) -> tuple[_Gap, _Gap]:
        if self.number_gap is None or self.date_gap is None:
            code, message = self.gaps_missing or ("issue_number_gap_missing", "")
            raise InvalidInput(message, code=code)
        return self.number_gap, self.date_gap

    def signature_box(self) -> tuple[int, Box]:
        if self.signature is None:
            code, message = self.signature_missing or ("signature_anchor_missing", "")
            raise InvalidInput(message, code=code)
        return self.signature

    def to_json(self) -> dict[str, Any]:
        gap = lambda g: None if g is None else {"rect": list(g.rect), "size": g.size}  # noqa: E731
        return {
            "position_line": self.position_line,
            "number_gap": gap(self.number_gap),
            "date_gap": gap(self.date_gap),
            "gaps_missing": list(self.gaps_missing) if self.gaps_missing else None,
            "signature": [self.signature[0], list(self.signature[1])] if self.signature else None,
            "signature_missing": list(self.signature_missing) if self.signature_missing else None,
            "text_bounds": [vars(b) for b in self.text_bounds],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PdfAnchors:
        def gap(value: Any) -> _Gap | None:
            return None if value is None else _Gap(rect=tuple(value["rect"]), size=value["size"])

        signature = data.get("signature")
        return cls(
            position_line=data["position_line"],
            number_gap=gap(data.get("number_gap")),
            date_gap=gap(data.get("date_gap")),
            gaps_missing=tuple(data["gaps_missing"]) if data.get("gaps_missing") else None,
            signature=(signature[0], tuple(signature[1])) if signature else None,
            signature_missing=(
                tuple(data["signature_missing"]) if data.get("signature_missing") else None
            ),
            text_bounds=tuple(_TextBounds(**b) for b in data.get("text_bounds", [])),
        )


def pdf_anchors(pdf: bytes, *, position_line: str, fonts: Fonts | None = None) -> PdfAnchors:
    """Read `pdf` once and find its anchors for a signature under `position_line`."""
    fonts = fonts or fonts_prepare()
    found: dict[str, Any] = {"position_line": position_line}
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        try:
            found["number_gap"], found["date_gap"] = _issue_gaps_in(document, fonts)
        except InvalidInput as missing:
            found["gaps_missing"] = (missing.code, missing.message)
        try:
            found["signature"] = _signature_box_in(document, position_line)
        except InvalidInput as missing:
            found["signature_missing"] = (missing.code, missing.message)
        pages = sorted({0, len(document.pages) - 1})
        found["text_bounds"] = tuple(_text_bounds_in(document, i) for i in pages)
    return PdfAnchors(**found)


def _verification_widget_appearance(
    writer: BasePdfFileWriter, link: _VerificationLink, widget: generic.DictionaryObject
) -> None:
    """Draw the QR code of `link.url` and the two lines of text into `widget`'s appearance."""
    x1, y1, x2, y2 = link.box
    style = QRStampStyle(
        border_width=0,
        stamp_text="%(label)s\n%(url)s",
        text_box_style=_text_style(link.fonts.regular, VERIFY_TEXT_SIZE),
        innsep=0,
        qr_inner_size=int(VERIFY_QR_SIZE),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MID,
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
    )
    stamp = style.create_stamp(
        writer,
        layout.BoxConstraints(width=x2 - x1, height=y2 - y1),
        {"url": link.url, "label": VERIFY_LINK_LABEL},
    )
    stamp.apply_appearance(widget)


def _add_verification_widget(writer: BasePdfFileWriter, link: _VerificationLink) -> None:
    """Add a widget showing `link` to the (new, not yet signed) signature field `link.field_name`.

    pyHanko fills a signature field through exactly one widget, so the second one is attached
    while the seal's appearance is applied (`_SealStamp`), in the revision the seal signs. Its diff
    policy accepts a new signature field with several widgets as form filling.
    """
    form_fields = writer.root["/AcroForm"]["/Fields"]
    _name, _value, field_ref = next(
        enumerate_fields_in(
            form_fields, with_name=link.field_name, refs_seen=set(), target_field_type="/Sig"
        )
    )
    field = field_ref.get_object()
    page_ref = writer.find_page_for_modification(link.page_index)[0]
    widget = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Widget"),
            generic.pdf_name("/Rect"): generic.ArrayObject(
                generic.FloatObject(round(v, 2)) for v in link.box
            ),
            generic.pdf_name("/F"): generic.NumberObject(VERIFY_LINK_FLAGS),
            generic.pdf_name("/P"): page_ref,
            generic.pdf_name("/Parent"): field_ref,
        }
    )
    _verification_widget_appearance(writer, link, widget)
    widget_ref = writer.add_object(widget)
    for kid in field["/Kids"]:
        kid.get_object()[generic.pdf_name("/Parent")] = field_ref
    field["/Kids"].append(widget_ref)
    writer.update_container(field)
    writer.register_annotation(page_ref, widget_ref)


class _SealStamp(StaticContentStamp):
    """The seal image; applying it also adds the verification link widget, if any."""

    def apply_appearance(self, annot_dict: generic.DictionaryObject) -> None:
        super().apply_appearance(annot_dict)
        link = self.style.verification_link
        if link is not None:
            _add_verification_widget(self.writer, link)


@dataclass(frozen=True)
class _SealStampStyle(StaticStampStyle):
    """The seal's appearance (`StaticStampStyle`), plus an optional verification link widget."""

    verification_link: _VerificationLink | None = None

    def create_stamp(
        self, writer: BasePdfFileWriter, box: layout.BoxConstraints, text_params: dict[str, Any]
    ) -> _SealStamp:
        return _SealStamp(writer=writer, style=self, box=box)
