"""Record the seal certificate an external CA (e.g. the national CA) issued on the agency's token."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from agencies.errors import DomainError
from signing.management.commands.seal_key_init import Command as SealKeyInit
from signing.pkcs11 import Pkcs11Config, seal_key_label, seal_token_register
from signing.seal import seal_key_backend


class Command(BaseCommand):
    help = (
        "Check the key and certificate that an external CA issued on the unit's PKCS#11 token "
        "(SEAL_PKCS11_* settings; the label SEAL_PKCS11_KEY_LABEL): it must chain to an imported "
        "trust root, be valid and not be revoked. Then record it as the unit's seal credential. "
        "Safe to run again."
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
        unit = SealKeyInit._unit(options.get("unit"))
        config = Pkcs11Config.from_settings()
        try:
            credential = seal_token_register(unit=unit, config=config, replace=options["replace"])
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Seal certificate “{seal_key_label(unit, config)}” of {unit.name} in token "
            f"“{config.token_label}” is registered: {credential.subject_name}, serial "
            f"{credential.serial_number}, valid until {credential.not_after:%Y-%m-%d}."
        )
        if seal_key_backend() != "pkcs11":
            self.stdout.write(
                self.style.WARNING("Set SEAL_KEY_BACKEND=pkcs11 to seal with this key.")
            )
