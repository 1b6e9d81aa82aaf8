from django.contrib import admin

from .models import IncomingPackage, OutgoingPackage, Peer, StatusMessage


@admin.register(Peer)
class PeerAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "transport", "base_url", "is_active"]
    filter_horizontal = ["units"]


@admin.register(OutgoingPackage)
class OutgoingPackageAdmin(admin.ModelAdmin):
    list_display = ["message_id", "kind", "unit", "peer", "state", "attempts", "next_try"]
    list_filter = ["kind", "state"]
    readonly_fields = ["message_id", "kind", "plan", "receipt", "unit", "answers", "created_at"]


@admin.register(IncomingPackage)
class IncomingPackageAdmin(admin.ModelAdmin):
    list_display = ["message_id", "kind", "sender_code", "state", "received_at"]
    list_filter = ["kind", "state"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(StatusMessage)
class StatusMessageAdmin(admin.ModelAdmin):
    list_display = ["package", "code", "description", "timestamp", "received_at"]
