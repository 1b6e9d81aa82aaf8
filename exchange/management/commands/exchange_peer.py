"""Add or change a peer of the document exchange and the units reached through it.

    manage.py exchange_peer --code tinh-b --name "UBND tỉnh B" --url https://vanban.b.gov.vn \
        --secret <shared, 32+ characters> --unit bo-tttt --unit ubnd-tinh-binh-duong
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from agencies.errors import DomainError
from exchange.models import Peer
from exchange.services import peer_configure


class Command(BaseCommand):
    help = "Add or change a peer of the document exchange (edXML) and the units it reaches."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--code", required=True, help="the peer's EXCHANGE_SYSTEM_ID")
        parser.add_argument("--name", required=True)
        parser.add_argument("--url", default="", help="the peer's address (HTTP transport)")
        parser.add_argument("--secret", required=True, help="shared by both sides")
        parser.add_argument(
            "--transport", default=Peer.Transport.HTTP, choices=Peer.Transport.values
        )
        parser.add_argument("--unit", action="append", default=[], help="unit code (repeat)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            peer = peer_configure(
                code=options["code"],
                name=options["name"],
                secret=options["secret"],
                base_url=options["url"],
                transport=options["transport"],
                unit_codes=options["unit"],
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"peer {peer.code}: {peer.units.count()} unit(s)")
