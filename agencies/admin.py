from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db import transaction

from .models import Absence, CalendarDay, Unit, User
from .working_days import working_days_cache_clear


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "abbreviation", "kind", "is_active"]
    search_fields = ["name", "short_name", "abbreviation"]


@admin.register(User)
class PersonAdmin(UserAdmin):
    list_display = ["username", "full_name", "unit", "role", "position"]
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Đơn vị", {"fields": ("full_name", "unit", "role", "position")}),
    )


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The Government's yearly swaps and added days off. Every process's working-day tables
    follow an edit (agencies.working_days): this one when it commits, others by its revision."""

    list_display = ["date", "is_working_day", "reason", "updated_by", "updated_at"]
    list_filter = ["is_working_day"]
    search_fields = ["reason"]
    date_hierarchy = "date"
    fields = ["date", "is_working_day", "reason"]

    def save_model(self, request: Any, obj: CalendarDay, form: Any, change: bool) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        transaction.on_commit(working_days_cache_clear)

    def delete_model(self, request: Any, obj: CalendarDay) -> None:
        super().delete_model(request, obj)
        transaction.on_commit(working_days_cache_clear)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        super().delete_queryset(request, queryset)
        transaction.on_commit(working_days_cache_clear)


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    """Read only: absences are recorded and ended through the page or the API, whose services
    check who may stand in and hand the open tasks over."""

    list_display = ["person", "stand_in", "start_date", "end_date", "reason", "ended_at"]
    list_filter = ["start_date"]
    search_fields = ["person__full_name", "stand_in__full_name", "reason"]
    date_hierarchy = "start_date"

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
