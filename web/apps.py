from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """The pages and the edges above the process: task API, page-facing JSON, forms."""

    name = "web"
    verbose_name = _("Giao diện")

    def ready(self) -> None:
        from django.urls import reverse

        from notifications.links import link_register

        # Notifications raised by the services lead to these pages.
        link_register("plan", lambda pk: reverse("plan-detail", args=[pk]))
        link_register("incoming", lambda pk: reverse("incoming-detail", args=[pk]))
        link_register("absence", lambda pk: reverse("absence-list"))
