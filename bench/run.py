"""`python -m bench.run [section ...]`: what users get, beside a floor, in one table.

Sections (bench/sections, in this order): tasks, issuance, fanout, signing, lists, documents.
Without names, all of them. The served sections run once per target:

- BENCH_TARGETS, default "sqlite:1,pg:1,pg:2" — database kind and uvicorn workers; the pg
  targets need BENCH_PG_URL (a PostgreSQL database URL: the bench creates and drops
  `<its name>_bench_app` and `_bench_floor` beside it) and BENCH_REDIS_URL (a Redis database that
  the bench may flush); without them they are skipped with a note.
- BENCH_WORKERS=N replaces the worker count of the multi-worker pg target (default 2).
- BENCH_QUICK=1: fewer actions and 2,000 instead of 10,000 plans, for development.
- BENCH_PORT_BASE: serve on ports from there (100 ports); default: free ports.
- BENCH_OUT: where the JSON of the figures goes (default var/bench/<time>.json).

See bench/README.md for what every figure measures and its floor.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

from bench.harness import QUICK, ROOT, BenchError, Report, Stage, Target, parse_targets
from bench.sections import Context, Section, load


def _targets() -> list[Target]:
    workers = os.environ.get("BENCH_WORKERS")
    spec = os.environ.get("BENCH_TARGETS", f"sqlite:1,pg:1,pg:{workers or 2}")
    targets = parse_targets(spec)
    if workers:
        targets = [
            Target(t.kind, int(workers)) if t.kind == "pg" and t.workers > 1 else t for t in targets
        ]
    return targets


def _applies(section: Section, target: Target, targets: list[Target]) -> bool:
    if target.workers == 1 or section.on_workers:
        return True
    return not any(t.kind == target.kind and t.workers == 1 for t in targets)


def main(argv: list[str]) -> int:
    sections = load()
    unknown = [name for name in argv if name not in sections]
    if unknown:
        print(f"Unknown section(s): {', '.join(unknown)}. Known: {', '.join(sections)}")
        return 2
    chosen = [s for name, s in sections.items() if not argv or name in argv]
    targets = _targets()
    pg_url = os.environ.get("BENCH_PG_URL", "")
    redis_url = os.environ.get("BENCH_REDIS_URL", "")
    report = Report()
    once: set[str] = set()
    started = time.time()
    print(
        f"make bench: {', '.join(s.name for s in chosen)}; targets "
        f"{', '.join(t.label for t in targets)}{'; QUICK' if QUICK else ''}",
        flush=True,
    )
    report.load("start")
    served = [s for s in chosen if s.served]
    for target in targets if served else []:
        if target.kind == "pg" and not (pg_url and redis_url):
            report.problem(f"[{target.label}] skipped: set BENCH_PG_URL and BENCH_REDIS_URL")
            continue
        if target.kind == "sqlite" and target.workers != 1:
            report.problem(f"[{target.label}] skipped: the embedded default serves one process")
            continue
        print(f"== {target.label}", flush=True)
        try:
            stage = Stage(target, pg_url=pg_url, redis_url=redis_url)
        except Exception as error:
            report.problem(f"[{target.label}] could not set up: {error}")
            continue
        ctx = Context(stage=stage, report=report, once=once)
        try:
            stage.prepare("base")
            stage.floor_prepare("base")
            report.load(f"{target.label} start")
            for section in served:
                if not _applies(section, target, targets):
                    continue
                _run(section, ctx)
            report.load(f"{target.label} end")
        except Exception as error:
            report.problem(f"[{target.label}] {type(error).__name__}: {error}")
        finally:
            ctx.close()
            stage.close()
    for section in chosen:
        if not section.served:
            _run(section, Context(stage=None, report=report, once=once))
    report.load("end")
    _print(report, started)
    return 0


def _run(section: Section, ctx: Context) -> None:
    print(f"-- {section.name}: {section.title} [{ctx.label}]", flush=True)
    began = time.perf_counter()
    try:
        section.run(ctx)
    except BenchError as error:
        ctx.report.problem(f"[{ctx.label}] {section.name} stopped: {error}")
    except Exception as error:
        ctx.report.problem(f"[{ctx.label}] {section.name} stopped: {type(error).__name__}: {error}")
        traceback.print_exc()
    print(f"   ({time.perf_counter() - began:.0f} s)", flush=True)


def _print(report: Report, started: float) -> None:
    print()
    print(
        f"## Figures ({os.cpu_count()} CPUs; took {(time.time() - started) / 60:.1f} min"
        f"{'; BENCH_QUICK' if QUICK else ''})"
    )
    print(
        "Load average (1/5/15 min) — "
        + "; ".join(f"{when}: {a:.2f} {b:.2f} {c:.2f}" for when, (a, b, c) in report.loads)
    )
    print()
    print(report.table())
    if report.problems:
        print()
        print("## Problems the bench hit")
        for line in report.problems:
            print(f"- {line}")
    out = Path(
        os.environ.get("BENCH_OUT")
        or ROOT / "var" / "bench" / f"{time.strftime('%Y%m%d-%H%M%S')}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=1, default=str))
    print(f"\n(JSON: {out})")


def _stop(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds: servers stopped, databases dropped


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)
    sys.exit(main(sys.argv[1:]))
