"""Synthetic permissions that put viewflow tasks in the right people's inboxes.

A consultation task of unit 7 carries the permission "agencies.unit_7"; a review step carries
"agencies.role_finance_reviewer". Every user has the permissions of their unit and their role.
"""

from typing import Any


def unit_permission(unit_id: int) -> str:
    return f"agencies.unit_{unit_id}"


def unit_head_permission(unit_id: int) -> str:
    return f"agencies.head_{unit_id}"


def role_permission(role: str) -> str:
    return f"agencies.role_{role}"


def role_permissions(user_obj: Any) -> set[str]:
    """The synthetic permissions of a user (their unit, their role, the head of their unit):
    the only ones a task is ever offered with. Computed from the user row, no query."""
    return RolePermissionBackend().get_all_permissions(user_obj)


class RolePermissionBackend:
    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return self.get_all_permissions(user_obj, obj)

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return set()
        if not hasattr(user_obj, "_role_perms"):
            perms = {role_permission(user_obj.role), "viewflow.view_process"}
            if user_obj.unit_id:
                perms.add(unit_permission(user_obj.unit_id))
                if user_obj.role == "agency_head":
                    perms.add(unit_head_permission(user_obj.unit_id))
            user_obj._role_perms = perms
        return user_obj._role_perms

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)
