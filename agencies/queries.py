"""Small helpers for reading rows, shared by every app's services and selectors."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model, QuerySet
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.transaction import TransactionManagementError

_M = TypeVar("_M", bound=Model)
_R = TypeVar("_R")


def only_row(queryset: QuerySet[_M]) -> _M | None:
    """The row of a query that matches at most one (a primary or unique key), or None.

    `.first()` orders by the model's default ordering to choose one, and compiling an ORDER BY
    costs Django more than the rest of such a query (a quarter of a row-locked plan's select,
    on every task completion): here there is nothing to choose from, so there is no ORDER BY.
    """
    return next(iter(queryset.order_by()[:1]), None)


class Many:
    """A slot holding a list of values for one `field__in` lookup (`CompiledQuery`)."""

    def __init__(self, field: Field[Any, Any]) -> None:
        self.field = field


Slot: TypeAlias = "Field[Any, Any] | Many"


class CompiledQuery(Generic[_R]):
    """A query of fixed shape, compiled to SQL once per process and database alias and then run
    with new values on any thread's connection (the idea of SQLAlchemy's "baked" queries).

    Building a queryset and compiling it (joins, the select list of every related model, the
    WHERE clause, subqueries) costs Django several times what running it costs: on a task
    completion the fixed selects (token, plan locked, task, the recipients' unread counts) spent
    a third of the request's CPU there. Here `build(**values)` is called once with
    a marker for each value; the markers' places in the compiled parameters are noted, and each
    run puts the caller's values (prepared by the field they are compared with, as the lookup
    would) in those places, executes the stored SQL and makes the rows as Django's own iterables
    do: model instances (select_related, deferred fields, annotations), or the tuples, dicts or
    single values of `values()` / `values_list()`.

    `slots` names each value and the model field it is compared with (`field == value`, or
    `field > value`, …; a value used in any other way, or twice, is refused when compiling). A
    `Many(field)` slot takes a list for one `field__in` lookup: as Django does, each value is
    kept once and None left out; the list is then padded to the next power of two by repeating
    its last value (the same rows), so a few shapes serve every length.
    `build` must give the same SQL whatever the values: it may only pass them to filters. On the
    first use of a shape the query is also built and compiled with the caller's real values and
    must give the same SQL and parameters, or `CompiledQuery` refuses (a programming error,
    found by the first test that runs it). A None value (`IS NULL`, not `= NULL`) or an empty
    list (no statement at all) runs the queryset as built.

    Every thread has its own connection object (Django's), and a served process runs each
    request in a thread of its own: compiled per connection object, each new thread compiled
    every query again (twice, with the check) — with 50 clients at once, 50 threads, about a
    millisecond more per task completion — and kept them, and its connection object, for good.
    The statement depends on the alias's database, not on the thread: it is compiled once for
    the alias and its backend and run on the calling thread's connection. The rows are then
    converted by the converters of the connection object it was compiled on: they read its
    settings (the time zone), never its database connection, as Django's own do.
    """

    def __init__(self, build: Callable[..., QuerySet[Any, _R]], **slots: Slot) -> None:
        self._build, self._slots = build, slots
        self._compiled: dict[tuple[str, str, tuple[int, ...]], _Compiled] = {}
        self._lock = threading.Lock()

    def rows(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[_R]:
        if values.keys() != self._slots.keys():
            raise TypeError(f"CompiledQuery expects {sorted(self._slots)}, got {sorted(values)}")
        shape = []
        for name, slot in self._slots.items():
            value = values[name]
            if value is None:
                return list(self._build(**values).using(using))
            if isinstance(slot, Many):
                if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
                    raise TypeError(f"CompiledQuery: {name!r} takes a list of values")
                # As Django's `__in`: each value once, None left out, nothing left: no query.
                value = list(dict.fromkeys(v for v in value if v is not None))
                if not value:
                    return list(self._build(**values).using(using))
                values[name] = value
                shape.append(_width(value))
        connection = connections[using]
        key = (using, connection.vendor, tuple(shape))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = _compile(self._build, self._slots, values, connection, using)
            with self._lock:
                compiled = self._compiled.setdefault(key, compiled)
        return compiled.run(connection, _padded(self._slots, values, repeat=True))

    def row(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> _R | None:
        """The one row (the query selects by a unique key, at most one row), or None."""
        found = self.rows(using=using, **values)
        return found[0] if found else None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    places: dict[str, list[int]]  # slot -> its indexes in params
    fields: dict[str, Field[Any, Any]]
    compiler: Any
    converters: dict[int, Any]
    col_count: int | None  # columns to keep of each row (extra select columns follow)
    for_update: bool
    make: Callable[[list[Any]], list[Any]]

    def params_for(self, connection: BaseDatabaseWrapper, values: dict[str, Any]) -> list[Any]:
        params = list(self.params)
        for name, indexes in self.places.items():
            field, value = self.fields[name], values[name]
            if len(indexes) == 1 and not isinstance(value, list):
                params[indexes[0]] = _prepared(field, value, connection)
            else:
                for index, item in zip(indexes, value, strict=True):
                    params[index] = _prepared(field, item, connection)
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
        if self.col_count is not None:
            rows = [row[: self.col_count] for row in rows]
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        return self.make(rows)


def _prepared(field: Field[Any, Any], value: Any, connection: BaseDatabaseWrapper) -> Any:
    """`value` as a lookup on `field` passes it to the database."""
    return field.get_db_prep_value(field.get_prep_value(value), connection, prepared=True)


def _marker(field: Field[Any, Any], n: int) -> Any:
    """A value of `field`'s kind that no real query would compare with."""
    kind = field.get_internal_type()
    if kind in ("ForeignKey", "OneToOneField"):
        kind = field.target_field.get_internal_type()  # type: ignore[attr-defined]
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


def _width(values: list[Any]) -> int:
    return 1 << (len(values) - 1).bit_length()


def _padded(slots: dict[str, Slot], values: dict[str, Any], *, repeat: bool) -> dict[str, Any]:
    """`values` with each list of a `Many` slot made as long as its shape: its last value
    repeated (the same rows), or (`repeat=False`, to compile a check) markers no row has."""
    padded = dict(values)
    for name, slot in slots.items():
        if isinstance(slot, Many):
            items = values[name]
            more = _width(items) - len(items)
            fill = (
                [items[-1]] * more
                if repeat
                else [_marker(slot.field, 1_000_000 + i) for i in range(more)]
            )
            padded[name] = items + fill
    return padded


def _markers(slots: dict[str, Slot], values: dict[str, Any]) -> dict[str, Any]:
    markers: dict[str, Any] = {}
    n = 0
    for name, slot in slots.items():
        if isinstance(slot, Many):
            width = _width(values[name])
            markers[name] = [_marker(slot.field, n + i) for i in range(width)]
            n += width
        else:
            markers[name] = _marker(slot, n)
            n += 1
    return markers


def _compile(
    build: Callable[..., QuerySet[Any, Any]],
    slots: dict[str, Slot],
    values: dict[str, Any],
    connection: BaseDatabaseWrapper,
    using: str,
) -> _Compiled:
    fields = {name: s.field if isinstance(s, Many) else s for name, s in slots.items()}
    markers = _markers(slots, values)
    queryset = build(**markers).using(using)
    make = _maker(queryset, using)
    compiler = queryset.query.get_compiler(using=using, connection=connection)
    sql, params = compiler.as_sql()
    places = {}
    for name, marker in markers.items():
        indexes = []
        for one in marker if isinstance(marker, list) else [marker]:
            prepared = _prepared(fields[name], one, connection)
            found = [i for i, param in enumerate(params) if param == prepared]
            if len(found) != 1:
                raise TypeError(f"CompiledQuery: value {name!r} must be used once as it is")
            indexes.append(found[0])
        places[name] = indexes
    select = compiler.select[: compiler.col_count]
    if compiler.has_composite_fields([s[0] for s in select]):
        raise TypeError("CompiledQuery does not run queries of composite keys")
    compiled = _Compiled(
        sql=sql,
        params=tuple(params),
        places=places,
        fields=fields,
        compiler=compiler,
        converters=compiler.get_converters([s[0] for s in select]),
        col_count=compiler.col_count if compiler.has_extra_select else None,
        for_update=queryset.query.select_for_update,
        make=make(compiler),
    )
    # The same query built with the real values must compile to the same statement.
    check = _padded(slots, values, repeat=False)
    check_sql, check_params = (
        build(**check).using(using).query.get_compiler(connection=connection).as_sql()
    )
    if check_sql != sql or list(check_params) != compiled.params_for(connection, check):
        raise TypeError("CompiledQuery: the query's SQL depends on its values")
    return compiled


def _maker(
    queryset: QuerySet[Any, Any], using: str
) -> Callable[[Any], Callable[[list[Any]], list[Any]]]:
    """How the queryset's own iterable makes its rows, given the compiled query."""
    internals: Any = queryset  # Django's own iterables read these
    if (
        internals._prefetch_related_lookups
        or internals._known_related_objects
        or getattr(queryset, "_coerced", False)  # viewflow's coerce_for
    ):
        raise TypeError("CompiledQuery runs plain querysets (no prefetch_related)")
    iterable, query = queryset._iterable_class, queryset.query
    if iterable is ValuesListIterable:
        return lambda _compiler: lambda rows: [tuple(row) for row in rows]
    if iterable is FlatValuesListIterable:
        return lambda _compiler: lambda rows: [row[0] for row in rows]
    if iterable is ValuesIterable:
        names = (
            list(query.selected)
            if query.selected
            else [*query.extra_select, *query.values_select, *query.annotation_select]
        )
        return lambda _compiler: lambda rows: [dict(zip(names, row, strict=True)) for row in rows]
    if iterable is ModelIterable or (
        # viewflow's task and process querysets iterate as Django's unless coerced to flows
        issubclass(iterable, ModelIterable) and iterable.__module__.startswith("viewflow.")
    ):
        return lambda compiler: _instances(compiler, using)
    raise TypeError(f"CompiledQuery does not run querysets iterated by {iterable.__name__}")


def _instances(compiler: Any, using: str) -> Callable[[list[Any]], list[Any]]:
    """Model instances from rows, as Django's ModelIterable makes them."""
    klass_info, select = compiler.klass_info, compiler.select
    model = klass_info["model"]
    first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [f[0].target.attname for f in select[first:last]]
    populators = get_related_populators(klass_info, select, using)  # type: ignore[call-arg]
    annotations = dict(compiler.annotation_col_map or {})

    def make(rows: list[Any]) -> list[Any]:
        found = []
        for row in rows:
            obj = model.from_db(using, init_list, row[first:last])
            for populator in populators:
                populator.populate(row, obj)
            for name, index in annotations.items():
                setattr(obj, name, row[index])
            found.append(obj)
        return found

    return make
