"""Recognition of plans we have never seen (issue 10): precision and recall per measure over the
corpus (tests/corpus), clean and degraded, and the scanned seed through OCR. See
bench/recognition.py, which also runs alone with more options (`--pdf`, `--scan-all`, `--noisy`)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from bench.harness import PYTHON, ROOT, BenchError

from . import Context, section


@section("recognition", "Import: recognition over the corpus, clean and degraded", served=False)
def recognition(ctx: Context) -> None:
    with tempfile.TemporaryDirectory(prefix="kehoach-bench-recognition-") as tmp:
        out = Path(tmp) / "recognition.json"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
        arguments = [PYTHON, "-m", "bench.recognition", "--json", str(out)]
        if not ctx.quick:
            arguments.append("--scan")  # the seed printed to an image PDF and read by OCR
        process = subprocess.run(arguments, cwd=ROOT, env=env, timeout=1800)
        if not out.exists():
            raise BenchError(f"bench.recognition failed (exit {process.returncode})")
        for group, figures in json.loads(out.read_text()).items():
            if group == "documents":
                continue
            for measure, value in figures.items():
                if isinstance(value, dict):
                    for kind in ("precision", "recall"):
                        if kind in value and value[kind] is not None:
                            ctx.report.add(
                                "recognition",
                                f"{group}: {measure} {kind}",
                                "%",
                                "corpus",
                                round(100 * value[kind], 1),
                            )
                elif isinstance(value, int | float):
                    ctx.report.add("recognition", f"{group}: {measure}", "", "corpus", value)
