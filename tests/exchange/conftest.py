"""An issued plan with an external recipient (Bộ Thông tin và Truyền thông, reached through the
peer "tinh-b"), and the keys to play either side of the exchange in one database."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from agencies.directory import directory_seed
from agencies.models import Unit, User
from exchange.models import OutgoingPackage, Peer
from exchange.services import peer_configure
from tests.helpers import complete, sign_as, walk_to_signature

SECRET_B = "b" * 40
SECRET_A = "a" * 40


@pytest.fixture
def world(db: Any, make_content: Any) -> SimpleNamespace:
    directory_seed(external=True)
    units = {u.code: u for u in Unit.objects.all()}
    peer_b = peer_configure(
        code="tinh-b",
        name="Hệ thống tỉnh B",
        secret=SECRET_B,
        base_url="http://127.0.0.1:9",  # nothing answers there
        unit_codes=["bo-tttt"],
    )
    signer = User.objects.get(username="phochutich")
    content = make_content(signer=signer, recipients=("bao-dong-nai",))
    content["recipients"]["units"].append(
        {"name": units["bo-tttt"].name, "unit_id": units["bo-tttt"].pk}
    )
    plan = walk_to_signature(content=content)
    plan = sign_as(signer, plan)
    plan = complete(User.objects.get(username="vanthu"), plan, "issue", "issue")
    package = OutgoingPackage.objects.get(plan=plan, kind=OutgoingPackage.Kind.DOCUMENT)
    return SimpleNamespace(units=units, peer_b=peer_b, plan=plan, package=package)


def play_recipient(world: SimpleNamespace) -> Peer:
    """Turn this database into the recipient's side: the ministry uses this system, and the
    sender ("tinh-a") is a peer."""
    Unit.objects.filter(code="bo-tttt").update(is_internal=True)
    return Peer.objects.create(
        code="tinh-a", name="Hệ thống tỉnh A", secret=SECRET_A, base_url="http://127.0.0.1:9"
    )
