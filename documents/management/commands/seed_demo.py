"""Prepare the demo: the province's units, one user per role (password "demo"), a seed draft."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from agencies.directory import directory_seed
from agencies.models import User
from documents.models import Plan
from documents.services import plan_import_docx, plan_update_content

SEED_PLAN = Path(__file__).resolve().parents[2] / "seeds" / "dongnai-262-KH-UBND-2023.docx"


class Command(BaseCommand):
    help = (
        "Create the demo units and users (password demo) and a draft imported from the seed plan."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = directory_seed(external=True)
        drafter = User.objects.get(username="chuyenvien")
        if not Plan.objects.filter(drafter=drafter).exists():
            plan, result = plan_import_docx(actor=drafter, data=SEED_PLAN.read_bytes())
            # The seed plan was signed by a Phó Chủ tịch: pick the demo one as its signer.
            signer = User.objects.get(username="phochutich")
            content = {
                **plan.content,
                "signature": {**plan.content["signature"], "signer_id": signer.pk},
            }
            plan_update_content(plan=plan, actor=drafter, content=content)
            self.stdout.write(
                f"Seed draft created: plan {plan.pk} ({len(result.unplaced)} unplaced)."
            )
        self.stdout.write(
            f"{counts['units']} units, {counts['users']} demo users ({counts['users_created']} new)."
        )
