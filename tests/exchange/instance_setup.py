"""Prepare one served instance of the two-instance exchange test (test_two_instances.py), in its
own process and database: `python -m tests.exchange.instance_setup a|b <peer url> <secret>`.

a: the province (sender): the demo directory, Bộ Thông tin và Truyền thông external and reached
   through the peer "tinh-b", and a plan to it walked and signed, waiting for the clerk. Prints
   {"plan_id", "issue_task_id"}.
b: the ministry (recipient): the same directory with Bộ Thông tin và Truyền thông internal (a
   user "botttt"), and the peer "tinh-a".
"""

from __future__ import annotations

import copy
import json
import os
import sys


def main(role: str, peer_url: str, secret: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    django.setup()

    from agencies.directory import directory_seed
    from agencies.models import Unit, User
    from exchange.services import peer_configure

    directory_seed(external=True)
    if role == "b":
        Unit.objects.filter(code="bo-tttt").update(is_internal=True)
        user, _ = User.objects.update_or_create(
            username="botttt",
            defaults={
                "full_name": "Văn thư Bộ TT&TT",
                "unit": Unit.objects.get(code="bo-tttt"),
                "role": User.Role.CLERK,
            },
        )
        user.set_password("demo")
        user.save()
        peer_configure(code="tinh-a", name="UBND tỉnh Đồng Nai", secret=secret, base_url=peer_url)
        sys.stdout.write("{}\n")
        return

    from tests.conftest import BASE_CONTENT
    from tests.helpers import open_task, sign_as, walk_to_signature

    peer_configure(
        code="tinh-b",
        name="Hệ thống của Bộ TT&TT",
        secret=secret,
        base_url=peer_url,
        unit_codes=["bo-tttt"],
    )
    units = {u.code: u for u in Unit.objects.all()}
    signer = User.objects.get(username="phochutich")
    content = copy.deepcopy(BASE_CONTENT)
    content["sections"][1]["children"][0]["tasks"][0]["lead_units"] = [
        {"name": units["so-nv"].name, "unit_id": units["so-nv"].pk}
    ]
    content["recipients"]["units"] = [
        {"name": units[c].name, "unit_id": units[c].pk} for c in ("bao-dong-nai", "bo-tttt")
    ]
    content["signature"] = {"signer_id": signer.pk}
    plan = sign_as(signer, walk_to_signature(content=content))
    task = open_task(User.objects.get(username="vanthu"), plan, "issue")
    sys.stdout.write(json.dumps({"plan_id": plan.pk, "issue_task_id": task.pk}) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
