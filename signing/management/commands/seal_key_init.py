"""Create a unit's seal key in the PKCS#11 token and have the system's CA certify it."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from agencies.errors import DomainError
from agencies.models import Unit
from signing.pkcs11 import Pkcs11Config, seal_key_init, seal_key_label
from signing.seal import seal_key_backend


class Command(BaseCommand):
    help = (
        "Generate the seal key pair of a unit inside the PKCS#11 token (SEAL_PKCS11_* settings), "
        "non-extractable, certify it with the system's CA and store the certificate in the token "
        "and in the database. Safe to run again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--unit",
            help="Unit code (default: the Ủy ban nhân dân tỉnh, issuer of the plans).",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Revoke the unit's current seal credential (e.g. a server-held key) if any.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        unit = self._unit(options.get("unit"))
        config = Pkcs11Config.from_settings()
        try:
            credential = seal_key_init(unit=unit, config=config, replace=options["replace"])
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Seal key “{seal_key_label(unit)}” of {unit.name} is in token "
            f"“{config.token_label}”; certificate serial {credential.serial_number}, valid until "
            f"{credential.not_after:%Y-%m-%d}."
        )
        if seal_key_backend() != "pkcs11":
            self.stdout.write(
                self.style.WARNING("Set SEAL_KEY_BACKEND=pkcs11 to seal with this key.")
            )

    @staticmethod
    def _unit(code: str | None) -> Unit:
        units = Unit.objects.filter(is_active=True)
        if code:
            unit = units.filter(code=code).first()
        else:
            unit = units.filter(kind=Unit.Kind.PEOPLES_COMMITTEE).order_by("id").first()
        if unit is None:
            raise CommandError(f"No active unit {code or 'of kind ubnd'}.")
        return unit
