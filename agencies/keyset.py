"""Keyset pages over the union of index-friendly branches, in one statement.

A list such as "the plans a user may see" is the union of several simple conditions (granted to
the user, to their unit, to their role; drafted by them). Written as one WHERE with OR and
EXISTS, the database walks the newest rows until it has a page, which is a walk through the
whole table for a user who sees little. Here each branch is a queryset that an index answers in
key order (e.g. PlanAccess by (user, plan)); each gives at most `limit` keys below the cursor,
the branches are combined in one UNION ALL statement, and the page is the largest `limit`
distinct keys. The work is bounded by the page size times the number of branches, however
many rows the tables hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import QuerySet


def keyset_page(
    branches: Sequence[tuple[QuerySet[Any], str]], *, before: int | None, limit: int
) -> list[int]:
    """The largest `limit` distinct keys below `before` over all `branches`, largest first.

    A branch is (queryset, key field), e.g. (PlanAccess.objects.filter(user=u), "plan_id"); it is
    filtered on the key and ordered by it here, so give it only its conditions.
    """
    if limit <= 0 or not branches:
        return []
    parts: list[str] = []
    params: list[Any] = []
    using = branches[0][0].db
    for number, (branch, key) in enumerate(branches):
        if before is not None:
            branch = branch.filter(**{f"{key}__lt": before})
        branch = branch.order_by(f"-{key}").values_list(key, flat=True)[:limit]
        sql, branch_params = branch.query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) AS branch_{number}")
        params.extend(branch_params)
    with connections[using].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        keys = {row[0] for row in cursor.fetchall()}
    return sorted(keys, reverse=True)[:limit]
