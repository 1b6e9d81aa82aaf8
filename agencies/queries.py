"""Small helpers for reading rows, shared by every app's services and selectors."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

_M = TypeVar("_M", bound=Model)


def only_row(queryset: QuerySet[_M]) -> _M | None:
    """The row of a query that matches at most one (a primary or unique key), or None.

    `.first()` orders by the model's default ordering to choose one, and compiling an ORDER BY
    costs Django more than the rest of such a query (a quarter of a row-locked plan's select,
    on every task completion): here there is nothing to choose from, so there is no ORDER BY.
    """
    return next(iter(queryset.order_by()[:1]), None)
