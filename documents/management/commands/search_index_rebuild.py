"""Index every plan and incoming document again for search (after a restore or an import)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from documents.search import search_index_rebuild


class Command(BaseCommand):
    help = "Index every plan and incoming document again for search."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            count = search_index_rebuild()
        self.stdout.write(f"{count} documents indexed.")
