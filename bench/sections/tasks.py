"""Task completion over HTTP: `POST /api/v1/tasks/{id}/complete/` ("approve" at agency approval).

Every client completes tasks of its own plans (independent plans all waiting at agency approval,
made through the services and copied), so concurrent clients never collide. Floor: lock a row,
move its state, insert an audit row and a notification, push after commit, answer small JSON.
"""

from __future__ import annotations

from collections.abc import Iterator

from bench.load import Job, run, run_jobs

from . import Context, section

#: (clients, completions). One client's p95 of 40 completions was their second slowest, which one
#: pause of the machine decided; of 200 it is their tenth slowest.
LEVELS = [(1, 200), (10, 200), (50, 400)]
QUICK_LEVELS = [(1, 20), (10, 60), (50, 100)]
#: Completions before timing, per worker, from as many clients as reach every worker (the first
#: completions on a request thread compile its statements; a cold worker's show in a p95).
WARM = 10


@section("tasks", "Task completion over HTTP, 1/10/50 clients", on_workers=True)
def tasks(ctx: Context) -> None:
    stage, report, label = ctx.stage, ctx.report, ctx.label
    levels = QUICK_LEVELS if ctx.quick else LEVELS
    workers = stage.target.workers
    warm = WARM * workers
    total = warm + sum(n for _c, n in levels)
    app_data = stage.prepare("tasks", count=total)
    floor_data = stage.floor_prepare("tasks", count=total)
    app_in, floor_in = app_data["in_process"], floor_data["in_process"]
    report.add(
        "tasks",
        "SQL queries per completion (in-process, warm)",
        "queries",
        label,
        app_in.get("queries"),
        floor_in.get("queries"),
        note="" if app_in.get("status") == 200 else f"answered {app_in.get('status')}",
    )
    runs = {}
    for who, data, server, path in (
        ("app", app_data, ctx.app, "/api/v1/tasks/{}/complete/"),
        ("floor", floor_data, ctx.floor, "/complete/{}/"),
    ):
        ids = iter(data["tasks"])
        headers = {"Authorization": f"Token {data['token']}"}
        run(run_jobs(server.url, _jobs(path, ids, headers, warm), 5 * workers))
        server.mark()
        runs[who] = {
            c: run(run_jobs(server.url, _jobs(path, ids, headers, n), c)) for c, n in levels
        }
        ctx.problems("tasks", server, who)
        locked = sum(n for line, n in server.problems().items() if "database is locked" in line)
        runs[who]["locked"] = locked
    app, floor = runs["app"], runs["floor"]
    one = levels[0][0]
    report.add(
        "tasks",
        "answer size (1 client, median)",
        "KB",
        label,
        _kb(app[one].sizes),
        _kb(floor[one].sizes),
    )
    for c, _n in levels:
        clients = f"{c} client{'s' if c > 1 else ''}"
        report.add("tasks", f"{clients}: p50", "ms", label, app[c].p50, floor[c].p50)
        report.add("tasks", f"{clients}: p95", "ms", label, app[c].p95, floor[c].p95)
        report.add(
            "tasks",
            f"{clients}: throughput",
            "actions/s",
            label,
            app[c].throughput,
            floor[c].throughput,
        )
    ten = next((c for c, _n in levels if c == 10), levels[-1][0])
    report.add(
        "tasks",
        f"p95/p50 at {ten} clients",
        "ratio",
        label,
        app[ten].p95 / app[ten].p50,
        floor[ten].p95 / floor[ten].p50,
    )
    report.add(
        "tasks",
        "5xx answers (all levels)",
        "count",
        label,
        sum(app[c].count("5") for c, _n in levels),
        sum(floor[c].count("5") for c, _n in levels),
        note="; ".join(
            f"{c}: {app[c].failures()}" for c, _n in levels if app[c].failures() != "none"
        ),
    )
    report.add(
        "tasks", "'database is locked' in the log", "count", label, app["locked"], floor["locked"]
    )


def _jobs(path: str, ids: Iterator[int], headers: dict[str, str], n: int) -> list[Job]:
    return [Job("POST", path.format(next(ids)), headers, {"action": "approve"}) for _ in range(n)]


def _kb(sizes: list[int]) -> float:
    return sorted(sizes)[len(sizes) // 2] / 1024 if sizes else float("nan")
