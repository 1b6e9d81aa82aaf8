"""The signature block when a stand-in signs for an absent signer (ND30 Điều 13): KT. for the
Chủ tịch, TL. passed to the deputy of the one who signs by order, TUQ. never passed on."""

from __future__ import annotations

import pytest

from documents.content import (
    PlanContent,
    SignatureBlock,
    StandInSignatureRefused,
    stand_in_signature,
)


def stand_in(block: SignatureBlock, absent: str, position: str, name: str = "Trần Văn B"):
    return stand_in_signature(
        block,
        absent_position=absent,
        stand_in_position=position,
        stand_in_name=name,
        stand_in_id=7,
    )


CHAIRMAN = SignatureBlock(
    authority="TM.", collective="ỦY BAN NHÂN DÂN", position="CHỦ TỊCH", signer_name="Võ Tấn Đức"
)


def test_a_deputy_standing_in_for_the_chairman_signs_kt_in_their_own_name():
    block = stand_in(CHAIRMAN, "Chủ tịch", "Phó Chủ tịch", "Nguyễn Sơn Hùng")
    assert block.lines() == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    assert (block.signer_name, block.signer_id) == ("Nguyễn Sơn Hùng", 7)


def test_a_decision_of_the_chairman_keeps_no_tm_line():
    individual = SignatureBlock(authority="", collective="", position="CHỦ TỊCH")
    block = stand_in(individual, "Chủ tịch", "Phó Chủ tịch")
    assert block.lines(individual=True) == ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]


def test_the_chairman_standing_in_for_a_deputy_signs_as_himself():
    deputy = stand_in(CHAIRMAN, "Chủ tịch", "Phó Chủ tịch")
    block = stand_in(deputy, "Phó Chủ tịch", "Chủ tịch", "Võ Tấn Đức")
    assert block.lines() == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    assert block.signer_name == "Võ Tấn Đức"


def test_another_deputy_standing_in_for_a_deputy_signs_kt_in_their_own_name():
    deputy = stand_in(CHAIRMAN, "Chủ tịch", "Phó Chủ tịch", "A")
    block = stand_in(deputy, "Phó Chủ tịch", "Phó Chủ tịch", "B")
    assert block.lines() == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    assert block.signer_name == "B"


BY_ORDER = SignatureBlock(
    authority="TL.", collective="", deputy_for="CHỦ TỊCH", position="CHÁNH VĂN PHÒNG"
)


def test_by_order_tl_passes_to_the_deputy_as_kt_of_the_head_of_office():
    block = stand_in(BY_ORDER, "Chánh Văn phòng", "Phó Chánh Văn phòng")
    assert BY_ORDER.lines() == ["TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG"]
    assert block.lines() == ["TL. CHỦ TỊCH", "KT. CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG"]
    # and the head of office, back, signs it himself again
    back = stand_in(block, "Phó Chánh Văn phòng", "Chánh Văn phòng")
    assert back.lines() == ["TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG"]


def test_by_order_tl_passes_to_nobody_but_a_deputy():
    with pytest.raises(StandInSignatureRefused, match="cấp phó"):
        stand_in(BY_ORDER, "Chánh Văn phòng", "Chuyên viên")


def test_by_authorisation_tuq_is_never_passed_on():
    authorised = SignatureBlock(
        authority="TUQ.", collective="", deputy_for="CHỦ TỊCH", position="CHÁNH VĂN PHÒNG"
    )
    assert authorised.lines() == ["TUQ. CHỦ TỊCH", "CHÁNH VĂN PHÒNG"]
    with pytest.raises(StandInSignatureRefused, match="khoản 4"):
        stand_in(authorised, "Chánh Văn phòng", "Phó Chánh Văn phòng")


def test_the_deputy_of_line_round_trips_and_is_absent_when_empty():
    block = stand_in(BY_ORDER, "Chánh Văn phòng", "Phó Chánh Văn phòng")
    data = block.to_dict()
    assert data["deputy_of"] == "CHÁNH VĂN PHÒNG"
    assert SignatureBlock.from_dict(data) == block
    assert "deputy_of" not in CHAIRMAN.to_dict()
    content = PlanContent.from_dict({"title": "X", "year": 2024, "signature": data})
    assert content.to_dict()["signature"]["deputy_of"] == "CHÁNH VĂN PHÒNG"
    assert (
        "deputy_of"
        not in PlanContent.from_dict({"title": "X", "year": 2024}).to_dict()["signature"]
    )
