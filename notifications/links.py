"""Where a notification leads, without the app that raises it knowing the pages.

A service names what the notice is about (`link("plan", plan.pk)`); the app that has the pages
(web) registers, once, how to reach each kind of thing (`link_register("plan", resolver)`). Without
pages (an API-only deployment) a link is "".
"""

from __future__ import annotations

from collections.abc import Callable

_resolvers: dict[str, Callable[[int], str]] = {}


def link_register(kind: str, resolver: Callable[[int], str]) -> None:
    _resolvers[kind] = resolver


def link(kind: str, pk: int) -> str:
    resolver = _resolvers.get(kind)
    return resolver(pk) if resolver is not None else ""
