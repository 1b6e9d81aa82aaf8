"""Reads of units and people."""

from collections.abc import Iterable

from django.db.models import QuerySet

from .models import Unit, User


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
