"""The document figures (in-process, once): import, rendering, .docx → PDF cold and warm, the
second step of a signature, validation of an issued PDF. See bench/documents.py."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from bench.harness import PYTHON, ROOT, BenchError, median

from . import Context, section


@section("documents", "Documents in-process: render, convert cold/warm, validate", served=False)
def documents(ctx: Context) -> None:
    with tempfile.TemporaryDirectory(prefix="kehoach-bench-docs-") as tmp:
        out = Path(tmp) / "documents.json"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
        env.setdefault("BENCH_RUNS", "3" if ctx.quick else "5")
        process = subprocess.run(
            [PYTHON, "-m", "bench.documents", str(out)], cwd=ROOT, env=env, timeout=1800
        )
        if not out.exists():
            raise BenchError(f"bench.documents failed (exit {process.returncode})")
        for row in json.loads(out.read_text()):
            samples = row["samples"]
            ctx.report.add(
                "documents",
                row["name"],
                "ms",
                "in-process",
                median(samples),
                note=f"min {min(samples):.0f}, max {max(samples):.0f}, {len(samples)} runs",
            )
