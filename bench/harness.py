"""Targets, throw-away databases, served processes, preparation runs and the figures table.

A target is a database kind and a worker count: "sqlite:1" (the embedded default: SQLite and the
in-memory channel layer, one process) or "pg:N" (PostgreSQL + Redis, N uvicorn workers). For each
target the app and the floor (bench/floor) get a throw-away database of that kind, and both are
served the same way: `uvicorn <asgi app> --ws websockets` for one worker, `python -m config.serve
<asgi app> --workers N` for several (scripts/serve.sh), in a process group of their own, driven
from this process over real HTTP and WebSockets.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


class BenchError(RuntimeError):
    """A step of the bench failed; the section reports it and the run goes on."""


def app_settings_module(kind: str) -> str:
    """The settings production uses for this kind of target: `config.settings.production` on
    PostgreSQL + Redis, the embedded default's `config.settings.local` (DEBUG off unless DEBUG=1)
    on SQLite; BENCH_SETTINGS chooses another."""
    chosen = os.environ.get("BENCH_SETTINGS")
    if chosen:
        return chosen
    names = ["config.settings.production"] if kind == "pg" else ["config.settings.local"]
    for name in [*names, "config.settings.base"]:
        if importlib.util.find_spec(name) is not None:
            return name
    return "config.settings.base"


# ---------------------------------------------------------------------------------------------
# Targets and their databases


@dataclass(frozen=True)
class Target:
    kind: str  # "sqlite" | "pg"
    workers: int = 1

    @property
    def label(self) -> str:
        name = "SQLite" if self.kind == "sqlite" else "PG+Redis"
        return f"{name} {self.workers}w"


def parse_targets(spec: str) -> list[Target]:
    targets = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        kind, _, workers = part.partition(":")
        targets.append(Target(kind=kind, workers=int(workers or 1)))
    return targets


def _port() -> int:
    base = os.environ.get("BENCH_PORT_BASE")
    if base:
        _port.next = getattr(_port, "next", int(base))  # type: ignore[attr-defined]
        for _ in range(100):
            candidate = _port.next  # type: ignore[attr-defined]
            _port.next += 1  # type: ignore[attr-defined]
            if _port.next >= int(base) + 100:  # type: ignore[attr-defined]
                _port.next = int(base)  # type: ignore[attr-defined]
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", candidate))
                except OSError:
                    continue
                return candidate
        raise BenchError("no free port in BENCH_PORT_BASE's range")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stage:
    """One target's throw-away databases and environments, app and floor; `close()` drops them."""

    def __init__(self, target: Target, *, pg_url: str, redis_url: str) -> None:
        self.target = target
        self.tmp = Path(tempfile.mkdtemp(prefix=f"kehoach-bench-{target.kind}-"))
        self.pg_url, self.redis_url = pg_url, redis_url
        self.databases: list[str] = []
        self.ports = {"app": _port(), "floor": _port()}
        app_url = f"http://127.0.0.1:{self.ports['app']}"
        common = {
            "PYTHONPATH": str(ROOT),
            "SECRET_KEY": "bench-" + "k" * 50,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        base_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        self.app_env = {
            **base_env,
            **common,
            "DJANGO_SETTINGS_MODULE": app_settings_module(target.kind),
            # The address issued PDFs print; issuance checks that it reaches this server.
            "PUBLIC_BASE_URL": app_url,
            "HOST": "127.0.0.1",
            "PORT": str(self.ports["app"]),
            # Served over plain HTTP here (production sits behind a TLS proxy).
            "SESSION_COOKIE_SECURE": "0",
            "VAR_DIR": str(self.tmp / "app-var"),
            "MEDIA_ROOT": str(self.tmp / "app-var" / "media"),
            "SIGNING_DIR": str(self.tmp / "app-var" / "signing"),
            "UNOSERVER_HOST": "",
        }
        self.floor_env = {
            **base_env,
            **common,
            "DJANGO_SETTINGS_MODULE": "bench.floor.settings",
            "FLOOR_MATERIAL": str(self.tmp / "material"),
        }
        if target.kind == "sqlite":
            self.app_env["SQLITE_PATH"] = str(self.tmp / "app.sqlite3")
            self.floor_env["SQLITE_PATH"] = str(self.tmp / "floor.sqlite3")
        else:
            if not pg_url or not redis_url:
                raise BenchError("PostgreSQL target without BENCH_PG_URL and BENCH_REDIS_URL")
            self.app_env["DATABASE_URL"] = self._database("app")
            self.floor_env["DATABASE_URL"] = self._database("floor")
            self.app_env["REDIS_URL"] = self.floor_env["REDIS_URL"] = redis_url
            _redis_flush(redis_url)

    def _database(self, suffix: str) -> str:
        import psycopg

        parsed = urllib.parse.urlparse(self.pg_url)
        name = f"{parsed.path.lstrip('/') or 'postgres'}_bench_{suffix}"
        with psycopg.connect(self._maintenance_url(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return urllib.parse.urlunparse(parsed._replace(path=f"/{name}"))

    def _maintenance_url(self) -> str:
        """The server's `postgres` database: the one to create and drop the bench's from."""
        return urllib.parse.urlunparse(
            urllib.parse.urlparse(self.pg_url)._replace(path="/postgres")
        )

    def close(self) -> None:
        if self.databases:
            import psycopg

            with psycopg.connect(self._maintenance_url(), autocommit=True) as connection:
                for name in self.databases:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if os.environ.get("BENCH_KEEP", "") in ("", "0"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def prepare(self, command: str, **args: Any) -> dict[str, Any]:
        return _prepare(self.app_env, "bench.prepare", command, args, self.tmp)

    def floor_prepare(self, command: str, **args: Any) -> dict[str, Any]:
        return _prepare(self.floor_env, "bench.floor.prepare", command, args, self.tmp)


def _redis_flush(url: str) -> None:
    """Empty the bench's Redis database: stale groups of an earlier run would get every push."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def _prepare(
    env: dict[str, str], module: str, command: str, args: dict[str, Any], tmp: Path
) -> dict[str, Any]:
    out = tmp / f"prepare-{command}-{time.monotonic_ns()}.json"
    process = subprocess.run(
        [PYTHON, "-m", module, command, json.dumps(args), str(out)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if process.returncode != 0 or not out.exists():
        tail = "\n".join((process.stderr or process.stdout).strip().splitlines()[-12:])
        raise BenchError(f"{module} {command} failed:\n{tail}")
    return json.loads(out.read_text())


# ---------------------------------------------------------------------------------------------
# Served processes


class Server:
    """The app served as production serves it (uvicorn; `python -m config.serve` for several
    workers); its log is kept for the problems."""

    def __init__(
        self, name: str, asgi: str, env: dict[str, str], workers: int, tmp: Path, port: int
    ) -> None:
        self.name, self.asgi, self.env, self.workers = name, asgi, env, workers
        self.port = port
        self.log_path = tmp / f"{name}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> Server:
        extra = os.environ.get("BENCH_UVICORN_ARGS", "").split()
        # One worker: uvicorn itself. Several: config.serve, as scripts/serve.sh serves them (each
        # worker on its own SO_REUSEPORT socket), for the floor as for the app.
        runner = ["uvicorn"] if self.workers == 1 else ["config.serve"]
        command = [
            PYTHON,
            "-m",
            *runner,
            self.asgi,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--ws",
            "websockets",
            "--workers",
            str(self.workers),
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
            *extra,
        ]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command,
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} server exited:\n{self.log_tail()}")
            try:
                urllib.request.urlopen(self.url + "/", timeout=5).close()
                break
            except urllib.error.HTTPError:
                break  # any HTTP answer: it serves
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise BenchError(
                        f"{self.name} server did not answer:\n{self.log_tail()}"
                    ) from None
                time.sleep(0.2)
        if self.workers > 1:
            time.sleep(2)  # let every worker import the app before timing
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def pids(self) -> list[int]:
        """The processes that serve: the workers under uvicorn's supervisor, or uvicorn itself."""
        if self.process is None:
            return []
        root = self.process.pid
        try:
            children = Path(f"/proc/{root}/task/{root}/children").read_text().split()
        except OSError:
            children = []
        workers = [int(c) for c in children if "spawn_main" in _cmdline(int(c))]
        return workers or [root]

    def rss_kb(self) -> int:
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        return total

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def mark(self) -> None:
        """Forget the log so far: `problems()` then counts what came after."""
        with contextlib.suppress(OSError):
            self._log_offset = self.log_path.stat().st_size

    def problems(self) -> Counter[str]:
        """Errors in the log since `mark()`: exception lines and 'database is locked'."""
        with contextlib.suppress(OSError), self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            text = log.read().decode(errors="replace")
            found: Counter[str] = Counter()
            for line in text.splitlines():
                match = EXCEPTION_LINE.match(line)
                if match:
                    found[f"{match.group(1)}: {match.group(2)[:90]}"] += 1
            return found
        return Counter()


EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Locked|Failed|Denied)): ?(.*)$")


def _cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return ""


@contextlib.contextmanager
def served(stage: Stage, which: str) -> Iterator[Server]:
    """The app (`config.asgi:application`) or the floor, served for the duration."""
    asgi, env = (
        ("config.asgi:application", stage.app_env)
        if which == "app"
        else ("bench.floor.asgi:application", stage.floor_env)
    )
    server = Server(which, asgi, env, stage.target.workers, stage.tmp, stage.ports[which])
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------
# Figures


def machine_busy() -> float:
    """Seconds of CPU the whole machine has spent busy since boot, all cores summed (/proc/stat:
    every state but idle and iowait): the served workers, the database, Redis and this client."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    ticks = [int(f) for f in fields]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def pct(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Figure:
    section: str
    name: str
    unit: str
    target: str
    value: float | str | None
    floor: float | str | None = None
    note: str = ""


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    loads: list[tuple[str, tuple[float, float, float]]] = field(default_factory=list)

    def add(
        self,
        section: str,
        name: str,
        unit: str,
        target: str,
        value: Any,
        floor: Any = None,
        note: str = "",
    ) -> None:
        self.figures.append(Figure(section, name, unit, target, value, floor, note))
        shown = _fmt(value)
        if floor is not None:
            shown += f" (floor {_fmt(floor)}, ×{_ratio(value, floor)})"
        print(f"  · [{target}] {section}: {name} = {shown} {unit} {note}".rstrip(), flush=True)

    def problem(self, text: str) -> None:
        self.problems.append(text)
        print(f"  ! {text}", flush=True)

    def load(self, when: str) -> None:
        self.loads.append((when, os.getloadavg()))

    def table(self) -> str:
        targets: list[str] = []
        rows: dict[tuple[str, str, str], dict[str, Figure]] = {}
        for f in self.figures:
            if f.target not in targets:
                targets.append(f.target)
            rows.setdefault((f.section, f.name, f.unit), {})[f.target] = f
        targets.sort(key=lambda t: t == "in-process")  # served targets first
        head = "| section | figure | unit |" + "".join(f" {t} | floor | ×floor |" for t in targets)
        lines = [head, "|---|---|---|" + "---:|---:|---:|" * len(targets)]
        for (section, name, unit), by_target in rows.items():
            cells = []
            notes = []
            for t in targets:
                f = by_target.get(t)
                if f is None:
                    cells.append(" | | ")
                    continue
                ratio = _ratio(f.value, f.floor) if f.floor is not None else ""
                floor = _fmt(f.floor) if f.floor is not None else ""
                cells.append(f"{_fmt(f.value)} | {floor} | {ratio}")
                if f.note:
                    notes.append(f"{t}: {f.note}")
            label = name + (f" ({'; '.join(notes)})" if notes else "")
            lines.append(f"| {section} | {label} | {unit} | " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "figures": [f.__dict__ for f in self.figures],
            "problems": self.problems,
            "loads": self.loads,
            "cpus": os.cpu_count(),
        }


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if value != value:  # NaN
            return "—"
        if abs(value) >= 100:
            return f"{value:.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def _ratio(value: Any, floor: Any) -> str:
    try:
        ratio = float(value) / float(floor)
    except (TypeError, ValueError, ZeroDivisionError):
        return ""
    if ratio != ratio:
        return ""
    return f"{ratio:.1f}" if ratio >= 10 else f"{ratio:.2f}"


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")
