"""Verify the hash chain of every plan's history; exit 1 if any event was altered or removed."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from documents.services import audit_verify


class Command(BaseCommand):
    help = "Check that the audit trail of every plan is intact (hash chain)."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = audit_verify()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in the audit trail.")
        self.stdout.write("Audit trail intact.")
