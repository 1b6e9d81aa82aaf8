"""Reads of units and people."""

import datetime as dt
import time
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Absence, Unit, User


def unit_list_active() -> QuerySet[Unit]:
    return Unit.objects.filter(is_active=True).order_by("name")


def user_list_of_units(unit_ids: Iterable[int]) -> QuerySet[User]:
    return User.objects.filter(unit_id__in=list(unit_ids), is_active=True).order_by("id")


def user_list_with_role(role: str) -> QuerySet[User]:
    return User.objects.filter(role=role, is_active=True).order_by("id")


def user_list_heads_of(unit_id: int) -> QuerySet[User]:
    return User.objects.filter(unit_id=unit_id, role=User.Role.AGENCY_HEAD, is_active=True)


def user_list_people(
    *, role: str = "", unit_id: int | None = None, query: str = "", limit: int = 200
) -> QuerySet[User]:
    """Active people of the directory, by role, unit or name (the API's people lookup)."""
    people = User.objects.filter(is_active=True).select_related("unit")
    if role:
        people = people.filter(role=role)
    if unit_id is not None:
        people = people.filter(unit_id=unit_id)
    if query:
        people = people.filter(full_name__icontains=query)
    return people.order_by("full_name", "id")[:limit]


def user_list_with_permission(permission: str) -> QuerySet[User]:
    """Active people holding a synthetic permission (agencies.backends): "agencies.unit_7",
    "agencies.head_7", "agencies.role_clerk"; nobody for any other."""
    prefix, _, value = permission.partition(".")[2].rpartition("_")
    people = User.objects.filter(is_active=True)
    if prefix == "unit" and value.isdigit():
        return people.filter(unit_id=int(value))
    if prefix == "head" and value.isdigit():
        return people.filter(unit_id=int(value), role=User.Role.AGENCY_HEAD)
    if permission.startswith("agencies.role_"):
        return people.filter(role=permission.removeprefix("agencies.role_"))
    return people.none()


# ---------------------------------------------------------------------------------------------
# Absences and stand-ins


def _today(on: dt.date | None) -> dt.date:
    return on or timezone.localdate()


#: The absences not ended yet, as (id, person, stand-in, start, end): read on every task and
#: notification, changed rarely, so kept in the cache and forgotten whenever one is recorded or
#: ended (`absences_cache_clear`). Shared by the workers with REDIS_URL; without it each process
#: has its own (the web process and the timer dispatcher), so an entry lives half a minute only.
ABSENCES_CACHE_KEY = "agencies:absences:v1"
ABSENCES_CACHE_SECONDS = 30

_Row = tuple[int, int, int, dt.date, dt.date]


#: What the process last read from that cache, kept for ABSENCES_LOCAL_SECONDS: a task
#: completion asks twice (who may act, whom to notify), each a round trip to Redis in
#: production. Another process's change is seen at most that long after its commit.
ABSENCES_LOCAL_SECONDS = 1.0
_absences_held: tuple[float, list[_Row]] | None = None


def absences_cache_clear() -> None:
    global _absences_held
    _absences_held = None
    cache.delete(ABSENCES_CACHE_KEY)


def _absence_rows(on: dt.date) -> list[_Row]:
    global _absences_held
    held, now = _absences_held, time.monotonic()
    if held is not None and now - held[0] < ABSENCES_LOCAL_SECONDS:
        rows = held[1]
    else:
        rows = cache.get(ABSENCES_CACHE_KEY)
        if rows is None:
            rows = list(
                Absence.objects.filter(
                    ended_at__isnull=True,
                    end_date__gte=timezone.localdate() - dt.timedelta(days=1),
                ).values_list("pk", "person_id", "stand_in_id", "start_date", "end_date")
            )
            cache.set(ABSENCES_CACHE_KEY, rows, ABSENCES_CACHE_SECONDS)
        _absences_held = (now, rows)
    return [r for r in rows if r[3] <= on <= r[4]]


def absence_list_current(*, on: dt.date | None = None) -> QuerySet[Absence]:
    on = _today(on)
    return Absence.objects.filter(ended_at__isnull=True, start_date__lte=on, end_date__gte=on)


def absence_current_of(person_id: int, *, on: dt.date | None = None) -> Absence | None:
    """The person's current absence (at most one: overlaps are refused), with its stand-in."""
    if not any(r[1] == person_id for r in _absence_rows(_today(on))):
        return None
    return (
        absence_list_current(on=on)
        .filter(person_id=person_id)
        .select_related("stand_in", "person")
        .first()
    )


def stand_in_map(user_ids: Iterable[int], *, on: dt.date | None = None) -> dict[int, int]:
    """{absent person's id: their stand-in's id} for those of `user_ids` away on `on`.

    No statement while nobody is away; `user_ids` (a lazy QuerySet too) is read only then.
    """
    rows = _absence_rows(_today(on))
    if not rows:
        return {}
    ids = set(user_ids)
    return {r[1]: r[2] for r in rows if r[1] in ids}


def principals_of(user: Any, *, on: dt.date | None = None) -> list[User]:
    """The active people `user` currently stands in for (they are away, `user` acts for them);
    no statement unless `user` stands in for someone."""
    if not getattr(user, "is_authenticated", False) or not user.pk:
        return []
    ids = [r[1] for r in _absence_rows(_today(on)) if r[2] == user.pk]
    if not ids:
        return []
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def stands_in_for(user: Any, person_id: int | None, *, on: dt.date | None = None) -> bool:
    if person_id is None or not getattr(user, "pk", None):
        return False
    return any(r[1] == person_id and r[2] == user.pk for r in _absence_rows(_today(on)))


def absence_list_managed(*, user: User) -> QuerySet[Absence]:
    """Absences `user` may see and end: their own, those they stand in for, those of their unit
    when they head it, every one for staff; newest first."""
    absences = Absence.objects.select_related("person", "stand_in", "person__unit")
    if not user.is_staff:
        mine = Q(person=user) | Q(stand_in=user)
        if user.role == User.Role.AGENCY_HEAD and user.unit_id:
            mine |= Q(person__unit_id=user.unit_id)
        absences = absences.filter(mine)
    return absences.order_by("-pk")


def absence_people_for(*, user: User) -> tuple[list[User], list[User]]:
    """For the absences page: whose absence `user` may record (themselves; the people of their
    unit when they head it) and who may stand in (the active people of their unit)."""
    colleagues = (
        list(
            User.objects.filter(is_active=True, unit_id=user.unit_id).order_by("full_name", "pk")[
                :500
            ]
        )
        if user.unit_id is not None
        else []
    )
    if user.role == User.Role.AGENCY_HEAD or user.is_staff:
        persons = colleagues or [user]
    else:
        persons = [user]
    return persons, [c for c in colleagues if c.pk != user.pk] or colleagues
