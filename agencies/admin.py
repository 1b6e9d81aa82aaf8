from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Unit, User


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
