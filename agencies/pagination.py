"""One way to page every list of the API: newest first, a page at a time, keyset cursors.

Answer: `{"results": [...], "next": <URL of the next page> | null}`. Query: `limit` (how many,
default 20, at most 200) and `before` (the cursor: only items whose id is smaller; the `next` URL
carries it). A page never grows with the history of the province: each list reads its page
through an index, in key order (`keyset_page` for lists that are unions of conditions).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from .errors import InvalidInput

#: fetch(before, limit) -> the items below `before`, largest id first, at most `limit` of them.
Fetch = Callable[[int | None, int], Sequence[Any]]


def _positive(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    if not value.isdigit() or len(value) > 18 or int(value) < 1:
        raise InvalidInput(f"Tham số “{name}” phải là số nguyên dương.", code="invalid_page")
    return int(value)


class KeysetPagination(BasePagination):
    """Newest first, `limit` items a page; `next` continues below the last item (`?before=`)."""

    default_limit = 20
    max_limit = 200
    cursor_param = "before"
    limit_param = "limit"

    def __init__(self) -> None:
        self.next_url: str | None = None

    def page(
        self, request: Request, fetch: Fetch, *, key: Callable[[Any], int] | None = None
    ) -> list[Any]:
        """One page of `fetch`; remembers where the next one starts."""
        before = _positive(request.query_params.get(self.cursor_param), self.cursor_param)
        limit = _positive(request.query_params.get(self.limit_param), self.limit_param)
        limit = min(limit or self.default_limit, self.max_limit)
        items = list(fetch(before, limit + 1))
        self.next_url = None
        if len(items) > limit:
            items = items[:limit]
            last = key(items[-1]) if key is not None else items[-1].pk
            url = request.build_absolute_uri()
            url = replace_query_param(url, self.cursor_param, last)
            self.next_url = replace_query_param(url, self.limit_param, limit)
        return items

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        """DRF's entry point: a queryset whose primary keys grow with time, newest first."""

        def fetch(before: int | None, limit: int) -> Sequence[Any]:
            page = queryset if before is None else queryset.filter(pk__lt=before)
            return page.order_by("-pk")[:limit]

        return self.page(request, fetch)

    def get_paginated_response(self, data: Any, **extra: Any) -> Response:
        return Response({**extra, "results": data, "next": self.next_url})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page (older items), or null on the last page.",
                },
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.limit_param,
                "in": "query",
                "required": False,
                "description": f"How many items (default {self.default_limit}, at most {self.max_limit}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit},
            },
            {
                "name": self.cursor_param,
                "in": "query",
                "required": False,
                "description": "Only items older than this id (the cursor in `next`).",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]
