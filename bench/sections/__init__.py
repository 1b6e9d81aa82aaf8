"""The registry of sections: `python -m bench.run [name ...]` runs the chosen ones, in this order.

A section is a function taking a `Context` and adding figures to `ctx.report`. A served section
runs once per target (database kind, worker count) against the served app and the floor; the
others run once. To add a section, write `bench/sections/<name>.py` with a function decorated
with `@section(...)` and add its module name to MODULES.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.harness import QUICK, Report, Server, Stage, served

MODULES = ["tasks", "issuance", "fanout", "signing", "lists", "documents", "recognition"]


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    run: Callable[[Context], None]
    served: bool = True  # once per target against the served app and floor; else once
    on_workers: bool = False  # also on a multi-worker target when a 1-worker one of its kind runs


SECTIONS: dict[str, Section] = {}


def section(name: str, title: str, *, served: bool = True, on_workers: bool = False) -> Any:
    def register(fn: Callable[[Context], None]) -> Callable[[Context], None]:
        SECTIONS[name] = Section(name, title, fn, served, on_workers)
        return fn

    return register


def load() -> dict[str, Section]:
    for module in MODULES:
        try:
            importlib.import_module(f"bench.sections.{module}")
        except ModuleNotFoundError as error:
            if error.name != f"bench.sections.{module}":
                raise
    return {name: SECTIONS[name] for name in MODULES if name in SECTIONS}


@dataclass
class Context:
    """What a section works with: the target's stage (None for unserved sections), the report,
    and the app and floor servers, started on first use and kept for the target's sections."""

    stage: Stage | None
    report: Report
    quick: bool = QUICK
    once: set[str] = field(default_factory=set)
    _servers: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.stage.target.label if self.stage else "in-process"

    def server(self, which: str) -> Server:
        if which not in self._servers:
            manager = served(self.stage, which)
            self._servers[which] = (manager, manager.__enter__())
        return self._servers[which][1]

    def restart(self, which: str) -> Server:
        """A fresh process (e.g. to measure memory without what earlier sections left)."""
        if which in self._servers:
            manager, _server = self._servers.pop(which)
            manager.__exit__(None, None, None)
        return self.server(which)

    @property
    def app(self) -> Server:
        return self.server("app")

    @property
    def floor(self) -> Server:
        return self.server("floor")

    def close(self) -> None:
        for manager, _server in self._servers.values():
            with contextlib.suppress(Exception):
                manager.__exit__(None, None, None)
        self._servers.clear()

    def problems(self, section: str, server: Server, who: str) -> None:
        for line, count in server.problems().most_common():
            self.report.problem(f"[{self.label}] {section}, {who}: {count}× {line}")
