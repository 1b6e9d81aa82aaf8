"""On PostgreSQL the hot statements are prepared on the server once per connection
(settings: DB_PREPARED, psycopg's automatic prepared statements)."""

from __future__ import annotations

import pytest
from django.db import connection

from agencies.models import Unit

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL's prepared statements"
    ),
]


def prepared_here() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_run_again_on_a_connection_is_prepared_there(directory):
    # when the same query, with different values, runs a few times on one connection
    codes = list(Unit.objects.values_list("code", flat=True)[:3])
    for code in codes:
        assert Unit.objects.filter(code=code).exists()

    # then PostgreSQL holds it prepared, with its values as parameters
    statements = [s for s in prepared_here() if '"agencies_unit"' in s and "$1" in s]
    assert statements, prepared_here()
