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
