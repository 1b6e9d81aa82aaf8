"""Small helpers for reading rows, shared by every app's services and selectors."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators
from django.db.transaction import TransactionManagementError

_M = TypeVar("_M", bound=Model)


def only_row(queryset: QuerySet[_M]) -> _M | None:
    """The row of a query that matches at most one (a primary or unique key), or None.

    `.first()` orders by the model's default ordering to choose one, and compiling an ORDER BY
    costs Django more than the rest of such a query (a quarter of a row-locked plan's select,
    on every task completion): here there is nothing to choose from, so there is no ORDER BY.
    """
    return next(iter(queryset.order_by()[:1]), None)


class CompiledQuery(Generic[_M]):
    """A model query of fixed shape, compiled to SQL once per database connection and then run
    with new values (the idea of SQLAlchemy's "baked" queries).

    Building a queryset and compiling it (joins, the select list of every related model, the
    WHERE clause) costs Django several times what running it costs: on a task completion the
    three fixed selects (token, plan locked, task) spent a fifth of the request's CPU there. Here
    `build(**values)` is called once per connection with a marker for each value; the markers'
    places in the compiled parameters are noted, and each run puts the caller's values (prepared
    by the field they are compared with, as the lookup would) in those places, executes the
    stored SQL and makes the instances as Django's own iterable does (select_related,
    deferred fields, annotations).

    `slots` names each value and the model field it is compared with (`field == value`, or
    `field > value`, …; a value used in any other way, or twice, is refused when compiling).
    `build` must give the same SQL whatever the values: it may only pass them to filters. On a
    connection's first use the query is also built and compiled with the caller's real values
    and must give the same SQL and parameters, or `CompiledQuery` refuses (a programming error,
    found by the first test that runs it). A None value, which changes the SQL (`IS NULL`),
    runs the queryset as built.
    """

    def __init__(self, build: Callable[..., QuerySet[_M]], **slots: Field[Any, Any]) -> None:
        self._build, self._slots = build, slots
        self._compiled: weakref.WeakKeyDictionary[BaseDatabaseWrapper, _Compiled] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def rows(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[_M]:
        if values.keys() != self._slots.keys():
            raise TypeError(f"CompiledQuery expects {sorted(self._slots)}, got {sorted(values)}")
        if any(value is None for value in values.values()):
            return list(self._build(**values).using(using))
        connection = connections[using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = _compile(self._build, self._slots, values, connection, using)
            with self._lock:
                self._compiled[connection] = compiled
        return compiled.run(connection, values)

    def row(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> _M | None:
        """The one row (the query selects by a unique key, at most one row), or None."""
        found = self.rows(using=using, **values)
        return found[0] if found else None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    places: dict[str, int]  # slot -> index in params
    fields: dict[str, Field[Any, Any]]
    compiler: Any
    converters: dict[int, Any]
    for_update: bool
    init_list: list[str]
    start: int
    end: int
    populators: list[Any]
    annotations: dict[str, int]
    db: str

    def params_for(self, connection: BaseDatabaseWrapper, values: dict[str, Any]) -> list[Any]:
        params = list(self.params)
        for name, index in self.places.items():
            params[index] = _prepared(self.fields[name], values[name], connection)
        return params

    def run(self, connection: BaseDatabaseWrapper, values: dict[str, Any]) -> list[Any]:
        params = self.params_for(connection, values)
        if self.for_update and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        model = self.compiler.klass_info["model"]
        found = []
        for row in rows:
            obj = model.from_db(self.db, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, obj)
            for name, index in self.annotations.items():
                setattr(obj, name, row[index])
            found.append(obj)
        return found


def _prepared(field: Field[Any, Any], value: Any, connection: BaseDatabaseWrapper) -> Any:
    """`value` as a lookup on `field` passes it to the database."""
    return field.get_db_prep_value(field.get_prep_value(value), connection, prepared=True)


def _marker(field: Field[Any, Any], n: int) -> Any:
    """A value of `field`'s kind that no real query would compare with."""
    kind = field.get_internal_type()
    if kind in ("AutoField", "BigAutoField", "SmallAutoField", "ForeignKey", "OneToOneField"):
        kind = field.target_field.get_internal_type() if field.is_relation else "IntegerField"
    if kind.endswith("IntegerField") or kind.endswith("AutoField"):
        return -1_987_654_321 + n
    if kind in ("CharField", "TextField", "SlugField", "EmailField"):
        return f"\ue000compiled-query-marker-{n}\ue000"
    if kind == "DateTimeField":
        return dt.datetime(1901, 2, 3, 4, 5, 6, 1000 + n, tzinfo=dt.UTC)
    if kind == "DateField":
        return dt.date(1901, 2, 3) + dt.timedelta(days=n)
    if kind == "UUIDField":
        return uuid.UUID(int=0xE000_0000 + n)
    raise TypeError(f"CompiledQuery has no marker for a {kind} slot")


def _plain_iteration(queryset: QuerySet[Any]) -> bool:
    """The queryset makes its instances as Django's ModelIterable does: viewflow's task and
    process querysets do too, unless coerced to their flows' classes (`coerce_for`)."""
    iterable = queryset._iterable_class
    if iterable is ModelIterable:
        return True
    return (
        issubclass(iterable, ModelIterable)
        and iterable.__module__.startswith("viewflow.")
        and not getattr(queryset, "_coerced", False)
    )


def _compile(
    build: Callable[..., QuerySet[Any]],
    slots: dict[str, Field[Any, Any]],
    values: dict[str, Any],
    connection: BaseDatabaseWrapper,
    using: str,
) -> _Compiled:
    markers = {name: _marker(field, n) for n, (name, field) in enumerate(slots.items())}
    queryset = build(**markers).using(using)
    if (
        not _plain_iteration(queryset)
        or queryset._prefetch_related_lookups
        or queryset._known_related_objects
    ):
        raise TypeError("CompiledQuery runs plain model querysets (no values(), no prefetch)")
    compiler = queryset.query.get_compiler(using=using, connection=connection)
    sql, params = compiler.as_sql()
    places = {}
    for name, marker in markers.items():
        prepared = _prepared(slots[name], marker, connection)
        found = [i for i, param in enumerate(params) if param == prepared]
        if len(found) != 1:
            raise TypeError(f"CompiledQuery: value {name!r} must be used once as it is")
        places[name] = found[0]
    klass_info, select = compiler.klass_info, compiler.select
    first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    compiled = _Compiled(
        sql=sql,
        params=tuple(params),
        places=places,
        fields=dict(slots),
        compiler=compiler,
        converters=compiler.get_converters([s[0] for s in select[: compiler.col_count]]),
        for_update=queryset.query.select_for_update,
        init_list=[f[0].target.attname for f in select[first:last]],
        start=first,
        end=last,
        populators=get_related_populators(klass_info, select, using),
        annotations=dict(compiler.annotation_col_map or {}),
        db=using,
    )
    # The same query built with the real values must compile to the same statement.
    check_sql, check_params = (
        build(**values).using(using).query.get_compiler(connection=connection).as_sql()
    )
    if check_sql != sql or list(check_params) != compiled.params_for(connection, values):
        raise TypeError("CompiledQuery: the query's SQL depends on its values")
    return compiled
