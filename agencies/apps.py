from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Cơ quan, đơn vị")

    def ready(self) -> None:
        from .converters import register

        register()  # `<id:…>` in every app's URLs

        from axes.signals import user_locked_out

        from .security import record_lockout

        user_locked_out.connect(record_lockout, dispatch_uid="agencies.record_lockout")
