from django.contrib import admin

from .models import EmailMessage, Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "user__username", "user__full_name"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"


@admin.register(EmailMessage)
class EmailMessageAdmin(admin.ModelAdmin):
    """The outbox: what went, what waits for a retry, what was given up, and why."""

    list_display = ["id", "to", "subject", "kind", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "subject"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "sent_at", "last_error"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "digest", "updated_at"]
    raw_id_fields = ["user"]
