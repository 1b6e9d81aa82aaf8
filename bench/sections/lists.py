"""Lists at 20 plans and at 10,000: the inbox page and the API lists, as the head of a unit whose
drafter has that many plans waiting for them (tasks, grants, stored notifications as the services
make them; copied in bulk), that many incoming documents registered, and an outgoing register
(sổ văn bản đi) of a year with that many plans issued under it, read by a văn thư.

Each list is read as it is served by default (its first page of 20, if it has pages). Floor: the bare
app's list of the same number of rows: one token query, a page of 50 rows ordered by an index and
a count; the inbox's floor renders that page with a template. On PostgreSQL both databases are
analysed after each bulk copy, as autovacuum would be soon after such growth.
"""

from __future__ import annotations

import json
import time

from bench.harness import median
from bench.load import Job, login, request, run, session

from . import Context, section

SIZES, QUICK_SIZES = (20, 10_000), (20, 2_000)
RUNS, MIN_RUNS, BUDGET_S = 7, 2, 10.0
SLOW_MS = 2000  # a first answer this slow is a sample too: a second of warming is noise there
PASSWORD = "demo-bench"
LISTS = [
    ("inbox page /", "/", "/page/"),
    ("/api/v1/documents/", "/api/v1/documents/", "/list/"),
    ("/api/v1/tasks/", "/api/v1/tasks/", "/list/"),
    ("/api/v1/notifications/", "/api/v1/notifications/", "/list/"),
    ("/api/v1/incoming/", "/api/v1/incoming/", "/list/"),
    # The outgoing register (sổ văn bản đi) of a year with as many entries, read by a văn thư.
    ("/api/v1/registers/{id}/entries/", "/api/v1/registers/{register}/entries/", "/list/"),
]


async def _time(
    base: str, path: str, headers: dict[str, str], client
) -> tuple[list[float], int, str]:
    job = Job("GET", path, headers)
    samples, size, shape = [], 0, ""
    started = time.perf_counter()
    await request(client, base, job)  # warm
    first = (time.perf_counter() - started) * 1000
    if first > SLOW_MS:
        samples.append(first)
    budget = time.perf_counter() + BUDGET_S
    while len(samples) < RUNS and (len(samples) < MIN_RUNS or time.perf_counter() < budget):
        started = time.perf_counter()
        status, body = await request(client, base, job)
        samples.append((time.perf_counter() - started) * 1000)
        size = len(body)
        shape = status if not status.startswith("2") else _shape(body)
    return samples, size, shape


def _shape(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return "html"
    if isinstance(data, list):
        return f"{len(data)} items"
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        count = data.get("count")
        return f"{len(data['results'])} items" + (f" of {count}" if count is not None else "")
    return "object"


async def _read_all(app, floor, app_data, floor_data) -> dict:
    out = {}
    async with session() as app_client, session() as floor_client:
        await login(app_client, app.url, app_data["user"], app_data["password"])
        app_token = {"Authorization": f"Token {app_data['token']}"}
        floor_token = {"Authorization": f"Token {floor_data['token']}"}
        register_token = {"Authorization": f"Token {app_data['register_token']}"}
        for name, app_path, floor_path in LISTS:
            headers = {} if app_path == "/" else app_token
            if "{register}" in app_path:
                app_path, headers = app_path.format(register=app_data["register"]), register_token
            out[name] = (
                await _time(app.url, app_path, headers, app_client),
                await _time(floor.url, floor_path, floor_token, floor_client),
            )
    return out


@section("lists", "Lists at 20 and at 10,000 plans")
def lists(ctx: Context) -> None:
    stage, report, label = ctx.stage, ctx.report, ctx.label
    sizes = QUICK_SIZES if ctx.quick else SIZES
    measured = {}
    for size in sizes:
        app_data = stage.prepare("lists", size=size, password=PASSWORD)
        floor_data = stage.floor_prepare("lists", size=size)
        ctx.app.mark()
        measured[size] = run(_read_all(ctx.app, ctx.floor, app_data, floor_data))
        ctx.problems("lists", ctx.app, "app")
    small, large = sizes
    for name, _app_path, _floor_path in LISTS:
        for size in sizes:
            (app_samples, app_size, shape), (floor_samples, _fs, _shape) = measured[size][name]
            report.add(
                "lists",
                f"{name} at {size:,} plans",
                "ms",
                label,
                median(app_samples),
                median(floor_samples),
                note=f"{app_size / 1024:.0f} KB, {shape}",
            )
        (a_small, _s, _x), (f_small, _t, _y) = measured[small][name]
        (a_large, _u, _z), (f_large, _v, _w) = measured[large][name]
        report.add(
            "lists",
            f"{name}: time at {large:,} / at {small}",
            "ratio",
            label,
            median(a_large) / median(a_small),
            median(f_large) / median(f_small),
        )
