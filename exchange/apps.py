from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = _("Liên thông văn bản (edXML)")

    def ready(self) -> None:
        from documents.signals import plan_issued

        from .services import on_plan_issued

        plan_issued.connect(on_plan_issued, dispatch_uid="exchange.on_plan_issued")
