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
