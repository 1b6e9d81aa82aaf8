"""Issuance: one clerk (10 plans), then 16 clerks at once (96 plans, six each), completing "issue"
tasks over HTTP; the seal.

Each issuance numbers the plan in the year's register, fills number and date and seals (PAdES
B-LTA). Plans are signed through the services once and copied. Floor: number under the register
row's lock in a short transaction, seal outside it with raw pyHanko (same key, TSA, CRL and seal
image, exported from the app's database), store the sealed PDF. The seal is also timed on its
own, in-process: the app's `signing.services.pdf_issue_with_seal` as issuance calls it (anchors
kept at rendering, the leader's signature checked before) against raw pyHanko B-LTA; the
leader's check is timed beside it.
"""

from __future__ import annotations

import os

from bench.harness import machine_busy, median
from bench.load import Job, Result, run, run_jobs

from . import Context, section

# Six issuances a clerk at 16 clerks: with two each, the figure was mostly the start and the
# tail (the last clerks of the busier worker still issuing while the other worker idled).
ONE, MANY, CLERKS = 10, 96, 16
#: Issuances before timing, per worker, from as many clerks at once (each its own connection,
#: which the kernel hands to a worker): a worker's first seal loads pyHanko, the fonts and the CA
#: (~1 s). Warmed by one issuance, the other worker of two was cold for the one clerk half the
#: time, and the ~1 s of its first seal made one clerk look slower and 16 clerks / 1 clerk better.
WARM = 3
QUICK_ONE, QUICK_MANY = 3, 32
SEAL_RUNS, QUICK_SEAL_RUNS = 5, 3


@section("issuance", "Issuance: 1 clerk vs 16 clerks; the seal vs raw pyHanko", on_workers=True)
def issuance(ctx: Context) -> None:
    stage, report, label = ctx.stage, ctx.report, ctx.label
    one, many = (QUICK_ONE, QUICK_MANY) if ctx.quick else (ONE, MANY)
    export = str(stage.tmp / "material")
    warm = WARM * stage.target.workers
    app_data = stage.prepare("issuance", count=one + many + warm, clerks=CLERKS, export_dir=export)
    floor_data = stage.floor_prepare("issuance", count=one + many + warm, clerks=CLERKS)
    runs = {}
    for who, data, server, path in (
        ("app", app_data, ctx.app, "/api/v1/tasks/{}/complete/"),
        ("floor", floor_data, ctx.floor, "/complete/{}/"),
    ):
        path = path if who == "app" else "/issue/{}/"
        ids = iter(data["tasks"])
        tokens = data["tokens"]

        def jobs(n: int, clerks: int, ids=ids, tokens=tokens, path=path) -> list[Job]:
            return [
                Job(
                    "POST",
                    path.format(next(ids)),
                    {"Authorization": f"Token {tokens[i % clerks]}"},
                    {"action": "issue"},
                )
                for i in range(n)
            ]

        clerks = min(warm, CLERKS)
        run(run_jobs(server.url, jobs(warm, clerks), clerks))  # every worker: fonts, CA, a seal
        server.mark()
        runs[who] = {
            1: _timed(server.url, jobs(one, 1), 1),
            CLERKS: _timed(server.url, jobs(many, CLERKS), CLERKS),
        }
        ctx.problems("issuance", server, who)
    app, floor = runs["app"], runs["floor"]
    cpu = {who: {n: _cpu_ms(r) for n, r in by.items()} for who, by in runs.items()}
    report.add(
        "issuance",
        "1 clerk: throughput",
        "issuances/s",
        label,
        app[1].throughput,
        floor[1].throughput,
        note=_bad(app[1]),
    )
    report.add("issuance", "1 clerk: p50", "ms", label, app[1].p50, floor[1].p50)
    report.add(
        "issuance",
        f"{CLERKS} clerks at once: throughput",
        "issuances/s",
        label,
        app[CLERKS].throughput,
        floor[CLERKS].throughput,
        note=_bad(app[CLERKS]),
    )
    report.add(
        "issuance",
        f"{CLERKS} clerks at once: p95",
        "ms",
        label,
        app[CLERKS].p95,
        floor[CLERKS].p95,
    )
    report.add(
        "issuance",
        f"{CLERKS} clerks / 1 clerk",
        "ratio",
        label,
        _div(app[CLERKS].throughput, app[1].throughput),
        _div(floor[CLERKS].throughput, floor[1].throughput),
    )
    for n in (1, CLERKS):
        report.add(
            "issuance",
            f"machine CPU per issuance, {n} clerk{'s' if n > 1 else ''} (all processes)",
            "ms",
            label,
            cpu["app"][n],
            cpu["floor"][n],
        )
    report.add(
        "issuance",
        f"{CLERKS} clerks / 1 clerk: most the cores allow (cores ÷ CPU per issuance at "
        f"{CLERKS}, ÷ 1 clerk's throughput)",
        "ratio",
        label,
        _ceiling(app[1], cpu["app"][CLERKS]),
        _ceiling(floor[1], cpu["floor"][CLERKS]),
    )
    if "seal" not in ctx.once:  # in-process, the same on every target
        ctx.once.add("seal")
        seal = stage.prepare(
            "seal",
            runs=QUICK_SEAL_RUNS if ctx.quick else SEAL_RUNS,
            export_dir=export,
            plan=app_data["plan"],
        )
        report.add(
            "issuance",
            "seal as issuance makes it: app vs raw pyHanko B-LTA, same key and image",
            "ms",
            "in-process",
            median(seal["app_ms"]),
            median(seal["raw_ms"]),
            note=f"floor key: {app_data['material']}",
        )
        report.add(
            "issuance",
            "the leader's signature checked before the seal (no floor)",
            "ms",
            "in-process",
            median(seal["check_ms"]),
            None,
        )


def _timed(url: str, jobs: list[Job], clerks: int) -> Result:
    """Run `jobs`; the machine's busy CPU seconds over the run go in `result.busy`."""
    before = machine_busy()
    result = run(run_jobs(url, jobs, clerks))
    result.busy = machine_busy() - before
    return result


def _cpu_ms(result: Result) -> float:
    return result.busy * 1000 / result.ok if result.ok else float("nan")


def _ceiling(one: Result, cpu_ms_many: float) -> float:
    """How many times one clerk's throughput the cores could give if every one of them were
    busy with issuances costing what they cost with many clerks: one clerk's issuance is
    computation from end to end (it keeps one core busy for its whole time), so on two cores
    this is about 2, whatever is served."""
    cores = os.cpu_count() or 1
    return _div(cores * 1000 / cpu_ms_many, one.throughput)


def _bad(result) -> str:
    failures = result.failures()
    return "" if failures == "none" else f"failed: {failures}"


def _div(a: float, b: float) -> float:
    return a / b if b else float("nan")
