from django.apps import AppConfig


class ConfigConfig(AppConfig):
    name = "config"
    verbose_name = "Cấu hình"

    def ready(self) -> None:
        from . import schema  # noqa: F401 - registers the API token scheme with drf-spectacular
