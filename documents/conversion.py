"""Convert a .docx to PDF with LibreOffice.

Pure module: no models. `docx_to_pdf(docx)` uses a warm `unoserver` when `UNOSERVER_HOST` is set and
falls back to a one-off headless `soffice` run (a fresh profile per call, so parallel calls work).
Either way the result is checked to be a non-empty PDF, or `ConversionError` is raised: an empty or
broken PDF is never returned, so it is never stored or served.

The warm server (`scripts/unoserver.sh`, started by `make run`) takes several seconds to start and
converts one document at a time. Before using it the client checks, with short timeouts, that it
accepts a connection and answers `info()`: while it warms up, or when it is down, the one-off
conversion is used at once instead of waiting (a server found down is not asked again for
`UNOSERVER_RETRY_SECONDS`; one that answered is trusted for `UNOSERVER_TRUST_SECONDS`).

Settings (all optional, read when called; the module also works without Django configured):
`UNOSERVER_HOST`, `UNOSERVER_PORT` (2003), `SOFFICE_BINARY` ("soffice"),
`PDF_CONVERSION_TIMEOUT` (seconds, 120), `PDF_CACHE_DIR` (conversions kept by content hash; "" turns
the cache off), `PDF_CACHE_MAX_FILES` (500).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import xmlrpc.client
import zipfile
from pathlib import Path
from typing import Any

from agencies.errors import DomainError

logger = logging.getLogger(__name__)
# The unoserver client logs "Connecting." / "Converting." at INFO for every document.
logging.getLogger("unoserver").setLevel(logging.WARNING)

PDF_FILTER = "pdf"
#: PDF/A-2b (ND30 asks for PDF 1.4 or later; archives prefer PDF/A).
PDFA_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
DOCX_IMPORT_FILTER = "MS Word 2007 XML"
#: How long the readiness check may take: a TCP connect, then the server's `info()`.
UNOSERVER_CONNECT_TIMEOUT = 0.2
UNOSERVER_PROBE_TIMEOUT = 0.5
#: After a failed check or conversion, convert with soffice for this long before checking again.
UNOSERVER_RETRY_SECONDS = 10.0
#: After a successful check or conversion, skip the check for this long.
UNOSERVER_TRUST_SECONDS = 60.0


class ConversionError(DomainError):
    """LibreOffice could not turn the document into a PDF (or is not available)."""

    status = 503
    code = "conversion_failed"

    def __init__(
        self,
        message: str = "Không chuyển được văn bản sang PDF. Vui lòng thử lại sau.",
        *,
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)


def _setting(name: str, default: Any) -> Any:
    """A Django setting if Django is configured, else `default`."""
    try:
        from django.conf import settings

        return getattr(settings, name, default)
    except Exception:  # ImproperlyConfigured, or Django missing
        return default


def _is_pdf(data: bytes | None) -> bool:
    return bool(data) and data.startswith(b"%PDF")


def _check_docx(docx: bytes) -> None:
    """Refuse what is not a Word file before LibreOffice guesses it is plain text."""
    if not docx:
        raise ConversionError()
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise ConversionError()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ConversionError() from exc


def docx_to_pdf(docx: bytes, *, pdfa: bool = False, timeout: int | None = None) -> bytes:
    """The PDF of a .docx (PDF/A-2b when `pdfa`). Raises ConversionError; never returns empty.

    The same file (by content hash) converted before with the same LibreOffice is read from the
    cache (PDF_CACHE_DIR) instead of converted again; rendering gives the same bytes for the same
    content (rendering.stable_docx), so an unchanged draft converts once."""
    _check_docx(docx)
    cache = _PdfCache.configured()
    key = cache.key(docx, pdfa=pdfa) if cache else ""
    if cache and (cached := cache.get(key)) is not None:
        return cached
    pdf = _convert(docx, pdfa=pdfa, timeout=timeout)
    if cache:
        cache.put(key, pdf)
    return pdf


def _convert(docx: bytes, *, pdfa: bool, timeout: int | None) -> bytes:
    limit = int(timeout or _setting("PDF_CONVERSION_TIMEOUT", 120))
    host = _setting("UNOSERVER_HOST", "")
    if host:
        port = int(_setting("UNOSERVER_PORT", 2003))
        if unoserver_ready(host, port):
            pdf = _convert_with_unoserver(docx, host, port, pdfa, limit)
            _health.record(host, port, ok=pdf is not None)
            if pdf is not None:
                return pdf
    return _convert_with_soffice(docx, pdfa=pdfa, timeout=limit)


# ---------------------------------------------------------------------------------------------
# The cache of conversions, by content hash


class _PdfCache:
    """PDFs of .docx files already converted: one file per SHA-256 of (the .docx, PDF/A or not,
    the LibreOffice that converted it), at most PDF_CACHE_MAX_FILES, the oldest read first out.
    Written atomically (rename), so parallel conversions and processes can share it."""

    _identity: str | None = None

    def __init__(self, folder: Path, max_files: int) -> None:
        self.folder = folder
        self.max_files = max_files

    @classmethod
    def configured(cls) -> _PdfCache | None:
        folder = _setting("PDF_CACHE_DIR", "")
        if not folder:
            return None
        return cls(Path(folder), int(_setting("PDF_CACHE_MAX_FILES", 500)))

    @classmethod
    def converter_identity(cls) -> str:
        """The LibreOffice that converts (its version): a new one must not reuse old PDFs."""
        if cls._identity is None:
            binary = _setting("SOFFICE_BINARY", "soffice")
            try:
                found = shutil.which(binary) or binary
                stat = os.stat(found)
                cls._identity = f"{os.path.realpath(found)}:{stat.st_size}:{stat.st_mtime_ns}"
            except OSError:
                cls._identity = binary
        return cls._identity

    def key(self, docx: bytes, *, pdfa: bool) -> str:
        digest = hashlib.sha256(docx)
        digest.update(b"pdfa" if pdfa else b"pdf")
        digest.update(self.converter_identity().encode())
        return digest.hexdigest()

    def get(self, key: str) -> bytes | None:
        path = self.folder / f"{key}.pdf"
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if not _is_pdf(data):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept longer
        return data

    def put(self, key: str, pdf: bytes) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = self.folder / f".{key}.{os.getpid()}.{threading.get_ident()}"
            temporary.write_bytes(pdf)
            os.replace(temporary, self.folder / f"{key}.pdf")
            self._prune()
        except OSError:
            logger.warning("could not keep a converted PDF in %s", self.folder, exc_info=True)

    def _prune(self) -> None:
        files = sorted(self.folder.glob("*.pdf"), key=lambda p: p.stat().st_mtime)
        for path in files[: max(0, len(files) - self.max_files)]:
            with contextlib.suppress(OSError):
                path.unlink()


# ---------------------------------------------------------------------------------------------
# unoserver (a warm LibreOffice): fast, one document at a time per server


class _Health:
    """What this process last learnt about each server: trusted until / skipped until."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._trusted_until: dict[tuple[str, int], float] = {}
        self._down_until: dict[tuple[str, int], float] = {}

    def known(self, host: str, port: int) -> bool | None:
        now = time.monotonic()
        with self._lock:
            if self._down_until.get((host, port), 0) > now:
                return False
            if self._trusted_until.get((host, port), 0) > now:
                return True
        return None

    def record(self, host: str, port: int, *, ok: bool) -> None:
        now = time.monotonic()
        with self._lock:
            if ok:
                self._trusted_until[(host, port)] = now + UNOSERVER_TRUST_SECONDS
                self._down_until.pop((host, port), None)
            else:
                self._down_until[(host, port)] = now + UNOSERVER_RETRY_SECONDS
                self._trusted_until.pop((host, port), None)

    def forget(self) -> None:
        with self._lock:
            self._trusted_until.clear()
            self._down_until.clear()


_health = _Health()


class _TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host: Any) -> Any:
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


def unoserver_ready(host: str, port: int) -> bool:
    """Whether the unoserver at host:port answers now, checked in well under a second.

    A closed port fails the TCP connect at once. A server still warming up accepts the connection
    (its XML-RPC socket is bound before LibreOffice is connected) but does not answer `info()`
    within `UNOSERVER_PROBE_TIMEOUT`. The answer is remembered (see the module docstring).
    """
    known = _health.known(host, port)
    if known is not None:
        return known
    ok = _probe(host, port)
    _health.record(host, port, ok=ok)
    if not ok:
        logger.info("unoserver %s:%s not ready; converting with soffice", host, port)
    return ok


def _probe(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=UNOSERVER_CONNECT_TIMEOUT):
            pass
    except OSError:
        return False
    proxy = xmlrpc.client.ServerProxy(
        f"http://{host}:{port}", transport=_TimeoutTransport(UNOSERVER_PROBE_TIMEOUT)
    )
    try:
        info = proxy.info()
    except (OSError, xmlrpc.client.Error):
        return False
    return isinstance(info, dict) and "unoserver" in info


def _convert_with_unoserver(
    docx: bytes, host: str, port: Any, pdfa: bool, timeout: int
) -> bytes | None:
    """The PDF from a running unoserver, or None (logged) so that the caller falls back."""
    try:
        from unoserver.client import UnoClient
    except ImportError:
        logger.warning("unoserver is not installed; converting with soffice")
        return None

    class _Client(UnoClient):
        def _connect(self, proxy, retries=1, sleep=0):  # fail fast instead of 5 × 10 s retries
            return super()._connect(proxy, retries=1, sleep=0)

    result: dict[str, Any] = {}

    def work() -> None:
        try:
            client = _Client(server=host, port=str(port))
            options = ["SelectPdfVersion=2"] if pdfa else []
            result["pdf"] = client.convert(indata=docx, convert_to="pdf", filter_options=options)
        except Exception as exc:  # network errors, XML-RPC faults, LibreOffice errors
            result["error"] = exc

    # A daemon thread bounds the wait: xmlrpc.client has no timeout of its own.
    thread = threading.Thread(target=work, name="unoserver-convert", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        logger.warning(
            "unoserver %s:%s did not answer in %s s; converting with soffice", host, port, timeout
        )
        return None
    if "error" in result:
        logger.warning(
            "unoserver %s:%s failed (%s); converting with soffice", host, port, result["error"]
        )
        return None
    pdf = result.get("pdf")
    if not _is_pdf(pdf):
        logger.warning("unoserver %s:%s returned no PDF; converting with soffice", host, port)
        return None
    return bytes(pdf)


# ---------------------------------------------------------------------------------------------
# One-off soffice run


def _convert_with_soffice(docx: bytes, *, pdfa: bool, timeout: int) -> bytes:
    binary = _setting("SOFFICE_BINARY", "soffice") or "soffice"
    with tempfile.TemporaryDirectory(prefix="kehoach-soffice-") as tmp:
        root = Path(tmp)
        profile, outdir = root / "profile", root / "out"
        profile.mkdir()
        outdir.mkdir()
        source = root / "document.docx"
        source.write_bytes(docx)
        command = [
            binary,
            "--headless",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            f"-env:UserInstallation={profile.as_uri()}",
            f"--infilter={DOCX_IMPORT_FILTER}",
            "--convert-to",
            PDFA_FILTER if pdfa else PDF_FILTER,
            "--outdir",
            str(outdir),
            str(source),
        ]
        env = {**os.environ, "HOME": str(root)}
        try:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                cwd=tmp,
                start_new_session=True,  # own process group: a timeout kills soffice.bin too
            )
        except OSError as exc:
            logger.error("cannot start %s: %s", binary, exc)
            raise ConversionError() from exc
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            _kill_group(process)
            logger.error("soffice did not finish in %s s", timeout)
            raise ConversionError() from exc
        finally:
            if process.poll() is None:
                _kill_group(process)
        output = outdir / "document.pdf"
        pdf = output.read_bytes() if output.is_file() else b""
        if not _is_pdf(pdf):
            # soffice exits 0 even when it could not load the file: check the output itself.
            logger.error(
                "soffice produced no PDF (exit %s): %s %s",
                process.returncode,
                stdout.decode(errors="replace")[-500:],
                stderr.decode(errors="replace")[-500:],
            )
            raise ConversionError()
        return pdf


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def soffice_available() -> bool:
    """Whether the soffice binary can be found (for tests and health checks)."""
    return shutil.which(_setting("SOFFICE_BINARY", "soffice") or "soffice") is not None
