"""Fan-out over real WebSockets: an issuance to 60 units / 300 users, and light pushes to one of
1,000 open sockets; memory per socket.

Every user holds one socket (`/ws/notifications/`, the API token in the Authorization header). An issuance (clerk completes the
"issue" task over HTTP) notifies every member of the 60 recipient units: the figure is when the
last of the 300 sockets got the notice, counted from the commit, from the first socket's
notice (the spread the push itself adds) and from the HTTP answer (the app answers once
committed and hands its pushes to the event loop; the floor pushes and then answers). The
commit is seen from outside (bench/commits.py): a connection of the bench's own polls the
served database every millisecond until the issued plan (the floor: its notices) is there; the
figure counts from the start of the last poll that did not see it, so it is the most the
commit can be before the last notice (the polls' resolution, a few ms, is in the note). The
light action marks one user's notification read (`POST /api/v1/notifications/read/`), which pushes the read state to that user's socket: time from the
request to that socket, p50/p99, while 1,000 sockets are open. Memory per socket: the served
processes' resident memory with 1,000 sockets open, minus before, per socket.

Floor: the bare Channels app: a consumer that joins the person's group; an endpoint that stores
one notification per member and pushes them all at once after commit; one that marks read and
pushes.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from bench.commits import CommitWatch
from bench.harness import median, pct
from bench.load import Job, Sockets, request, run, session

from . import Context, section

SIZES = {"units": 60, "per_unit": 5, "extra": 700, "repeats": 3, "light": 200}
QUICK_SIZES = {"units": 20, "per_unit": 5, "extra": 200, "repeats": 2, "light": 60}


@section("fanout", "Fan-out to 300 sockets; light pushes among 1,000; memory", on_workers=True)
def fanout(ctx: Context) -> None:
    stage, report, label = ctx.stage, ctx.report, ctx.label
    sizes = QUICK_SIZES if ctx.quick else SIZES
    args = {k: sizes[k] for k in ("units", "per_unit", "extra", "repeats")}
    app_data = stage.prepare("fanout", **args)
    floor_data = stage.floor_prepare("fanout", **args)
    # Fresh processes: the memory figure must not see what earlier sections left behind.
    app = run(_measure(ctx.restart("app"), app_data, sizes, floor=False, env=stage.app_env))
    ctx.problems("fanout", ctx.app, "app")
    floor = run(_measure(ctx.restart("floor"), floor_data, sizes, floor=True, env=stage.floor_env))
    ctx.problems("fanout", ctx.floor, "floor")
    users = sizes["units"] * sizes["per_unit"]
    total = users + sizes["extra"]
    report.add(
        "fanout",
        f"issue to {users} sockets: last socket after the commit",
        "ms",
        label,
        app["after_commit"],
        floor["after_commit"],
        note=app["commit_note"],
    )
    report.add(
        "fanout",
        f"issue to {users} sockets: last socket after the first",
        "ms",
        label,
        app["spread"],
        floor["spread"],
        note=app["note"],
    )
    report.add(
        "fanout",
        f"issue to {users} sockets: last socket after the HTTP answer",
        "ms",
        label,
        app["after_answer"],
        floor["after_answer"],
    )
    report.add(
        "fanout",
        f"light action → 1 of {total} sockets: p50",
        "ms",
        label,
        app["light_p50"],
        floor["light_p50"],
    )
    report.add(
        "fanout",
        f"light action → 1 of {total} sockets: p99",
        "ms",
        label,
        app["light_p99"],
        floor["light_p99"],
        note=app["light_note"],
    )
    report.add(
        "fanout",
        "memory per open socket",
        "KB",
        label,
        app["per_socket"],
        floor["per_socket"],
        note=app["socket_note"],
    )


#: The row that shows the issuance committed: the plan issued (app), a notice stored (floor).
APP_COMMITTED = "SELECT 1 FROM documents_plan WHERE id = %s AND status = 'issued'"
FLOOR_COMMITTED = {
    True: "SELECT 1 FROM floor_note WHERE data ->> 'key' = %s LIMIT 1",
    False: "SELECT 1 FROM floor_note WHERE json_extract(data, '$.key') = %s LIMIT 1",
}


async def _measure(
    server: Any, data: dict[str, Any], sizes: dict[str, int], *, floor: bool, env: dict[str, str]
) -> dict:
    origin = server.url
    ws_url = server.ws_url + ("/ws/" if floor else "/ws/notifications/")
    recipients, others = data["recipients"], data["others"]
    everyone = [*recipients, *others]
    sockets = Sockets()
    server.mark()
    warm = Sockets()  # the first sockets import the consumer and open the layer's connections
    await warm.open([ws_url] * 10, origin, [_auth(t) for t in everyone[:10]])
    await warm.close()
    await asyncio.sleep(0.5)
    before = server.rss_kb()
    slots = await sockets.open([ws_url] * len(everyone), origin, [_auth(t) for t in everyone])
    await asyncio.sleep(1.0)
    after = server.rss_kb()
    index = dict(zip(everyone, slots, strict=True))
    out: dict[str, Any] = {
        "per_socket": (after - before) / max(1, len(everyone) - sockets.failed),
        "socket_note": f"{sockets.failed} sockets failed to open" if sockets.failed else "",
    }
    targets = [index[t] for t in recipients if index[t] >= 0]
    clerk = {"Authorization": f"Token {data['clerk']}"}
    spreads, after_answers, after_commits, resolutions, missing = [], [], [], [], 0
    watch_errors: list[str] = []
    commits = CommitWatch(env)
    async with session() as client:
        if floor:
            repeats = [("floor", n) for n in range(sizes["repeats"])]
        else:
            repeats = [(pid, task) for pid, task in data["issues"]]
        for first, second in repeats:
            if floor:
                key = f"issue-{second}-{time.monotonic_ns()}"

                def match(m: dict, key: str = key) -> bool:
                    data = m.get("data") or {}
                    return m.get("kind") == "plan.issued" and data.get("key") == key

                job = Job("POST", "/fanout/", clerk, {"units": data["units"], "key": key})
                committed = (FLOOR_COMMITTED[commits.postgres], (key,))
            else:

                def match(m: dict, pid: int = first) -> bool:
                    data = m.get("data") or {}
                    return m.get("kind") == "plan.issued" and data.get("plan_id") == pid

                job = Job("POST", f"/api/v1/tasks/{second}/complete/", clerk, {"action": "issue"})
                committed = (APP_COMMITTED, (first,))
            expectation = sockets.expect(match, targets)
            watch = commits.start(*committed)
            status, _body = await request(client, server.url, job)
            answered = time.perf_counter()
            complete = await sockets.wait(expectation, 20)
            seen = await asyncio.to_thread(watch.result)
            if watch.error is not None:
                watch_errors.append(f"{type(watch.error).__name__}: {watch.error}"[:120])
            times = sorted(expectation.times.values())
            if not status.startswith("2") or not times:
                missing += 1
                continue
            missing += len(targets) - len(times) if not complete else 0
            spreads.append((times[-1] - times[0]) * 1000)
            after_answers.append((times[-1] - answered) * 1000)
            if seen is not None:
                after_commits.append((times[-1] - seen.before) * 1000)
                resolutions.append(seen.resolution_ms)
        commits.close()
        out["spread"], out["after_answer"] = median(spreads), median(after_answers)
        out["after_commit"] = median(after_commits)
        out["commit_note"] = (
            "runs "
            + " / ".join(f"{s:.0f}" for s in after_commits)
            + f"; commit seen to {max(resolutions):.1f} ms"
            if resolutions
            else "the commit was not seen" + (f" ({watch_errors[0]})" if watch_errors else "")
        )
        notes = ["runs " + " / ".join(f"{s:.0f}" for s in spreads)]
        if missing:
            notes.append(f"{missing} notices missing")
        out["note"] = "; ".join(notes)

        # Light actions: one user at a time marks a notification read; their socket hears it.
        light, lost = [], 0
        unread = data.get("unread") or {}
        people = [t for t in everyone if index[t] >= 0]
        random.Random(8).shuffle(people)
        for token in people[: sizes["light"]]:
            headers = {"Authorization": f"Token {token}"}
            if floor:
                job = Job("POST", "/touch/", headers, {})
            else:
                job = Job("POST", "/api/v1/notifications/read/", headers, {"ids": [unread[token]]})
            expectation = sockets.expect(
                lambda m: m.get("type") == "notifications.read", [index[token]]
            )
            started = time.perf_counter()
            status, _body = await request(client, server.url, job)
            if status.startswith("2") and await sockets.wait(expectation, 3):
                light.append((expectation.times[index[token]] - started) * 1000)
            else:
                lost += 1
        out["light_p50"], out["light_p99"] = median(light), pct(light, 99)
        out["light_note"] = f"{lost} pushes lost or failed" if lost else ""
    await sockets.close()
    return out


def _auth(token: str) -> dict[str, str]:
    """An API client's socket credentials: the token in the Authorization header."""
    return {"Authorization": f"Token {token}"}
