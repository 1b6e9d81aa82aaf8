"""The document figures, in-process (`python -m bench.documents [OUT]`; the documents section).

On a throw-away SQLite test database with the demo directory: import of the seed plan, rendering
the seed plan and a 30-page plan to .docx, .docx to PDF with LibreOffice cold (a one-off soffice
per document) and warm (a unoserver the bench starts, then stops), the second step of a
signature, and validating an issued PDF. Writes the samples (ms) as JSON to OUT.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.metadata
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.test.utils import setup_test_environment  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SEED = (
    Path(__file__).resolve().parent.parent / "documents" / "seeds" / "dongnai-262-KH-UBND-2023.docx"
)


def timed(fn: Callable[[], Any], runs: int = RUNS) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


RESULTS: list[dict[str, Any]] = []


def report(name: str, samples: list[float]) -> None:
    RESULTS.append({"name": name, "samples": samples})
    print(f"  {name}: median {statistics.median(samples):.1f} ms ({len(samples)} runs)", flush=True)


def main() -> None:
    from django.db import connection

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run_all()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if len(sys.argv) > 1:
            Path(sys.argv[1]).write_text(json.dumps(RESULTS))


def run_all() -> None:
    from agencies.directory import directory_seed
    from agencies.models import Unit, User
    from documents import services as documents
    from documents.importing import import_plan_docx
    from documents.services.plans import _clean_content
    from signing.services import pdf_verify
    from tests.helpers import sign_data, walk_to_signature

    directory_seed()
    directory = {u.code: u for u in Unit.objects.all()}
    users = {u.username: u for u in User.objects.all()}
    signer = users["phochutich"]
    rows = list(Unit.objects.values_list("pk", "name", "short_name"))
    seed = import_plan_docx(SEED.read_bytes(), directory=rows)
    seed_content = dict(seed.content)
    seed_content["signature"] = {"signer_id": signer.pk}
    seed_content["recipients"] = {
        **seed_content["recipients"],
        "units": [{"name": u.name, "unit_id": u.pk} for u in directory.values()][:6],
    }

    report(
        "import the seed plan .docx (structure, units matched)",
        timed(lambda: import_plan_docx(SEED.read_bytes(), directory=rows)),
    )

    # Rendering: .docx, then PDF cold (one-off soffice) and warm (unoserver)
    bench_rendering(_clean_content(seed_content)[0])

    # The second step of a signature (the first is timed over HTTP by the signing section), then
    # issuance in-process, for an issued PDF to validate.
    plans = [walk_to_signature(content=seed_content) for _ in range(RUNS)]
    answers = iter([sign_data(signer, plan) for plan in plans])  # prepare + the browser's part
    it = iter(plans)

    def finish() -> None:
        data = next(answers)
        documents.plan_sign(
            plan=next(it),
            actor=signer,
            session_id=data["session_id"],
            signature=base64.b64decode(data["signature"]),
        )

    report("sign 2/2: finish (r‖s→DER, verify, CMS + TST, store)", timed(finish))
    issued = documents.plan_issue(plan=plans[0], actor=users["vanthu"])
    pdf = bytes(type(issued).objects.get(pk=issued.pk).issued_pdf)
    report("validate an issued PDF (2 signatures)", timed(lambda: pdf_verify(pdf=pdf)))


def bench_rendering(seed: dict[str, Any]) -> None:
    from django.conf import settings

    from documents import conversion, rendering
    from documents.content import PlanContent
    from tests.documents.test_layout_samples import header, long_plan_content

    plans = {
        "seed plan": PlanContent.from_dict(seed),
        "30-page plan": long_plan_content(),
    }
    draft = header()
    # Conversions are timed with LibreOffice itself: the app's cache of PDFs by content hash
    # (PDF_CACHE_DIR) is off here and timed apart, at the end.
    cache_dir = getattr(settings, "PDF_CACHE_DIR", "")
    settings.PDF_CACHE_DIR = ""
    docx = {}
    for name, content in plans.items():
        report(
            f"render {name} to .docx", timed(lambda c=content: rendering.render_plan_docx(c, draft))
        )
        docx[name] = rendering.render_plan_docx(content, draft)
    pages = {name: _page_count(conversion.docx_to_pdf(data)) for name, data in docx.items()}

    settings.UNOSERVER_HOST = ""
    for name, data in docx.items():
        report(
            f"convert {name} ({pages[name]} p.) to PDF, cold (soffice)",
            timed(lambda d=data: conversion.docx_to_pdf(d), runs=max(3, RUNS // 2)),
        )

    with _unoserver() as (port, startup):
        if port is None:
            print(
                "warm conversion skipped: no unoserver could start (python3-uno, LibreOffice)",
                file=sys.stderr,
            )
            return
        report("unoserver: start until it answers (once)", [startup])
        settings.UNOSERVER_HOST, settings.UNOSERVER_PORT = "127.0.0.1", port
        conversion._health.forget()
        conversion.docx_to_pdf(docx["seed plan"])  # the first conversion loads the filters
        for name, data in docx.items():
            report(
                f"convert {name} ({pages[name]} p.) to PDF, warm (unoserver)",
                timed(lambda d=data: conversion.docx_to_pdf(d)),
            )
        content = plans["seed plan"]
        report(
            "seed plan: content → .docx → PDF, warm",
            timed(lambda: conversion.docx_to_pdf(rendering.render_plan_docx(content, draft))),
        )
    settings.UNOSERVER_HOST = ""
    conversion._health.forget()
    if cache_dir:
        settings.PDF_CACHE_DIR = cache_dir
        conversion.docx_to_pdf(docx["seed plan"])  # converted once, then read from the cache
        report(
            "convert seed plan to PDF, already converted (PDF cache)",
            timed(lambda: conversion.docx_to_pdf(docx["seed plan"])),
        )


def _page_count(pdf: bytes) -> int:
    import io

    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def _unoserver() -> Iterator[tuple[int | None, float]]:
    """A unoserver for the bench: .venv-uno's (scripts/unoserver.sh) if it exists, else the app's
    unoserver package run by Debian's python3 (which has python3-uno). Yields (port, seconds it
    took to answer), or (None, 0) when it cannot run here; stops it and LibreOffice afterwards."""
    from documents import conversion

    root = Path(__file__).resolve().parent.parent
    python = Path("/usr/bin/python3")
    has_uno = (
        python.exists()
        and subprocess.run([str(python), "-c", "import uno"], capture_output=True).returncode == 0
    )
    if not has_uno or not conversion.soffice_available():
        yield None, 0.0
        return
    with tempfile.TemporaryDirectory(prefix="kehoach-bench-uno-") as tmp:
        port, uno_port = _free_port(), _free_port()
        arguments = [
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--uno-port",
            str(uno_port),
            "--user-installation",
            str(Path(tmp) / "profile"),
        ]
        env = {**os.environ, "HOME": tmp}
        venv_server = root / ".venv-uno" / "bin" / "unoserver"
        if venv_server.exists():
            command = [str(venv_server), *arguments]
        else:
            distribution = importlib.metadata.distribution("unoserver")
            lib = Path(tmp) / "lib"
            shutil.copytree(Path(distribution.locate_file("unoserver")), lib / "unoserver")
            command = [str(python), "-m", "unoserver.server", *arguments]
            env["PYTHONPATH"] = str(lib)
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, LibreOffice included
        )
        try:
            deadline = time.monotonic() + 90
            while not conversion._probe("127.0.0.1", port):
                if time.monotonic() > deadline or process.poll() is not None:
                    yield None, 0.0
                    return
                time.sleep(0.1)
            yield port, (time.perf_counter() - started) * 1000
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
