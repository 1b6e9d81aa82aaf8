"""File safety: refuse, with a clear Vietnamese message and before anything is created, whatever
is not a sound Word file (empty, too large, old .doc, password-protected, not a zip, zip bombs,
missing parts, broken XML, DTDs), and open the sound ones."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from agencies.errors import InvalidInput

#: Default size limit of an uploaded .docx; the setting IMPORT_MAX_BYTES overrides it.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: Refuse archives whose members add up to more than this once expanded (zip bombs).
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
#: A member (or the archive) expanding more than this many times is a zip bomb, not a document.
MAX_COMPRESSION_RATIO = 100
#: Below this size a high ratio is harmless (a tiny XML part of repeated tags compresses well).
RATIO_CHECK_MIN_BYTES = 1024 * 1024
MAX_ZIP_MEMBERS = 2000

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def max_import_bytes() -> int:
    """The size limit of an imported file: settings.IMPORT_MAX_BYTES (10 MB by default)."""
    from django.conf import settings

    try:
        return int(getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))
    except Exception:  # settings not configured (a script): the documented default
        return DEFAULT_MAX_BYTES


def size_text(size: int) -> str:
    """ "10 MB", "1.5 MB", "512 KB"."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def too_large_message(max_bytes: int | None = None) -> str:
    """The message for a file over the limit, e.g. "Tệp quá lớn (tối đa 10 MB)."."""
    return f"Tệp quá lớn (tối đa {size_text(max_bytes or max_import_bytes())})."


def refuse(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_file")


def main_part(archive: zipfile.ZipFile, names: set[str]) -> str:
    """The name of the main document part: from _rels/.rels, else word/document.xml."""
    if "_rels/.rels" in names:
        try:
            from lxml import etree

            rels = etree.fromstring(archive.read("_rels/.rels"), parser=safe_parser())
            for rel in rels:
                if str(rel.get("Type", "")).endswith("/officeDocument"):
                    target = str(rel.get("Target", "")).lstrip("/")
                    if target:
                        return target
        except Exception:  # a broken .rels: python-docx will say so below
            pass
    return "word/document.xml"


def safe_parser() -> Any:
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def check_docx(data: bytes, *, max_bytes: int | None = None) -> None:
    """Refuse, with a clear Vietnamese message, anything that is not a sound .docx: empty, too
    large, a password-protected or old Word file, a PDF, not a zip, a zip bomb (judged from the
    zip directory before anything is expanded), no document part, broken XML."""
    check_upload(data, max_bytes=max_bytes)
    data = bytes(data)
    _check_kind(data)
    _check_xml(_main_xml(data))


def check_upload(data: bytes, *, max_bytes: int | None = None) -> None:
    """Refuse an empty upload or one over the size limit."""
    max_bytes = max_bytes or max_import_bytes()
    if not isinstance(data, bytes | bytearray) or not data:
        raise refuse("Tệp tải lên trống.")
    if len(data) > max_bytes:
        raise refuse(too_large_message(max_bytes))


def _check_kind(data: bytes) -> None:
    """Refuse old or protected Word files, PDFs and anything that is not a zip."""
    if data.startswith(OLE2_MAGIC[:4]):
        is_old_word = "WordDocument".encode("utf-16-le") in data
        is_encrypted = "EncryptedPackage".encode("utf-16-le") in data
        if is_old_word and not is_encrypted:
            raise refuse(
                "Tệp là văn bản Word cũ (.doc). Vui lòng mở tệp bằng Word và lưu lại dưới dạng "
                ".docx rồi tải lên lại."
            )
        raise refuse(
            "Tệp được bảo vệ bằng mật khẩu. Vui lòng gỡ mật khẩu (trong Word: Tệp › Thông tin › "
            "Bảo vệ tài liệu) rồi tải lên lại."
        )
    if data.startswith(b"%PDF"):
        raise refuse("Tệp là PDF, không phải là tệp Word (.docx). Vui lòng tải lên tệp .docx.")
    if not data.startswith(b"PK"):
        raise refuse("Tệp không phải là tệp Word (.docx) hợp lệ.")


def _main_xml(data: bytes) -> bytes:
    """The main document part, once the zip directory shows nothing dangerous."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise refuse("Tệp không phải là tệp Word (.docx) hợp lệ: tệp nén bị hỏng.") from exc
    with archive:
        members = archive.infolist()
        _check_members(members)
        names = {member.filename for member in members}
        main = main_part(archive, names)
        if main not in names:
            raise refuse(
                f"Tệp không phải là tệp Word (.docx) hợp lệ: thiếu phần nội dung văn bản ({main})."
            )
        try:
            return archive.read(main)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise refuse("Tệp Word bị hỏng: không giải nén được phần nội dung.") from exc


def _check_members(members: list[zipfile.ZipInfo]) -> None:
    """Refuse too many members, encrypted members and zip bombs, from the directory alone."""
    if len(members) > MAX_ZIP_MEMBERS:
        raise refuse(
            "Tệp chứa quá nhiều thành phần, có thể là tệp độc hại; hệ thống không mở tệp này."
        )
    if any(member.flag_bits & 0x1 for member in members):
        raise refuse("Tệp được bảo vệ bằng mật khẩu. Vui lòng gỡ mật khẩu rồi tải lên lại.")
    expanded = sum(member.file_size for member in members)
    compressed = sum(member.compress_size for member in members)
    if expanded > MAX_UNCOMPRESSED_BYTES:
        raise refuse(
            f"Tệp Word khi giải nén quá lớn ({size_text(expanded)}, tối đa "
            f"{size_text(MAX_UNCOMPRESSED_BYTES)}); hệ thống không mở tệp này."
        )
    suspicious = any(
        member.file_size > RATIO_CHECK_MIN_BYTES
        and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
        for member in members
    )
    if suspicious or (
        expanded > RATIO_CHECK_MIN_BYTES and expanded > MAX_COMPRESSION_RATIO * max(compressed, 1)
    ):
        raise refuse(
            "Tệp nén có tỷ lệ nén bất thường, có thể là tệp độc hại (zip bomb); hệ thống "
            "không mở tệp này."
        )


def _check_xml(xml: bytes) -> None:
    from lxml import etree

    try:
        tree = etree.fromstring(xml, parser=safe_parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        line = f" (dòng {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise refuse(
            f"Tệp Word bị hỏng: phần nội dung không phải XML hợp lệ{line}. Vui lòng mở tệp bằng "
            "Word và lưu lại."
        ) from exc
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise refuse("Tệp Word chứa khai báo DTD không được phép; hệ thống không mở tệp này.")


def open_docx(data: bytes, *, max_bytes: int | None = None) -> Any:
    """python-docx Document of `data`, or InvalidInput with a Vietnamese message."""
    check_docx(data, max_bytes=max_bytes)
    try:
        import docx

        return docx.Document(io.BytesIO(bytes(data)))
    except Exception as exc:  # python-docx raises many kinds of errors on broken files
        raise refuse(
            "Không đọc được tệp Word. Vui lòng kiểm tra lại tệp (.docx), mở bằng Word và lưu lại."
        ) from exc
