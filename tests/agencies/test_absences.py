"""Absences and stand-ins (issue 11 §3): who may record one, who may stand in, and every
refusal leaves nothing behind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from agencies import services as agencies
from agencies.errors import InvalidInput, NotFound, PermissionDenied, StateError
from agencies.models import Absence, User
from agencies.selectors import principals_of, stand_in_map, stands_in_for

pytestmark = pytest.mark.django_db


def day(offset: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


@pytest.fixture
def colleague(directory) -> User:
    """A second chuyên viên of Sở Thông tin và Truyền thông."""
    return User.objects.create_user(
        username="chuyenvien2",
        full_name="Lê Văn Tâm",
        unit=directory["so-tttt"],
        role=User.Role.DRAFTER,
        position="Chuyên viên",
    )


def record(actor, person, stand_in, start=0, end=3, reason="Nghỉ phép năm") -> Absence:
    return agencies.absence_create(
        actor=actor,
        person_id=person.pk,
        stand_in_id=stand_in.pk,
        start_date=day(start),
        end_date=day(end),
        reason=reason,
    )


def test_a_person_records_their_absence_and_the_stand_in_acts_meanwhile(drafter, colleague):
    # when the drafter records a leave from today for three days, with a colleague standing in
    absence = record(drafter, drafter, colleague)

    # then the colleague stands in for the drafter today, and nobody else does
    assert absence.created_by == drafter and absence.ended_at is None
    assert principals_of(colleague) == [drafter]
    assert stands_in_for(colleague, drafter.pk)
    assert stand_in_map([drafter.pk, colleague.pk]) == {drafter.pk: colleague.pk}
    # but not after the last day
    assert principals_of(colleague, on=timezone.localdate() + dt.timedelta(days=4)) == []


def test_the_head_of_the_unit_records_it_and_ends_it(drafter, colleague, agency_head):
    absence = record(agency_head, drafter, colleague, start=1, end=2)
    assert principals_of(colleague) == []  # it starts tomorrow

    ended = agencies.absence_end(actor=agency_head, absence_id=absence.pk)

    assert ended.ended_at is not None and ended.ended_by == agency_head
    assert principals_of(colleague, on=timezone.localdate() + dt.timedelta(days=1)) == []


def test_the_chairman_is_stood_in_for_by_a_deputy_only(chairman, signer, office_vetter):
    with pytest.raises(InvalidInput, match="Phó Chủ tịch"):
        record(chairman, chairman, office_vetter)
    assert not Absence.objects.exists()

    absence = record(chairman, chairman, signer)
    assert absence.stand_in == signer


@pytest.mark.parametrize(
    ("who", "stand_in", "error", "match"),
    [
        ("drafter", "drafter", InvalidInput, "chính mình"),
        ("drafter", "finance_reviewer", InvalidInput, "cùng đơn vị"),
        ("signer", "office_vetter", InvalidInput, "Phó Chủ tịch|cùng đơn vị"),
    ],
)
def test_who_may_stand_in_is_checked(who, stand_in, error, match, request):
    person, other = request.getfixturevalue(who), request.getfixturevalue(stand_in)
    with pytest.raises(error, match=match):
        record(person, person, other)
    assert not Absence.objects.exists()


def test_a_deputy_signer_is_stood_in_for_by_another_signer_only(signer, directory):
    staff = User.objects.create_user(
        username="cvubnd", full_name="Cán bộ UBND", unit=directory["ubnd-tinh"]
    )
    with pytest.raises(InvalidInput, match="thẩm quyền ký"):
        record(signer, signer, staff)
    assert not Absence.objects.exists()


def test_overlapping_absences_are_refused(drafter, colleague, agency_head):
    record(drafter, drafter, colleague, start=0, end=5)

    # the same person again, overlapping
    with pytest.raises(StateError, match="trùng"):
        record(drafter, drafter, agency_head, start=5, end=8)
    # the stand-in away in the same days
    with pytest.raises(StateError, match="cũng vắng mặt"):
        record(colleague, colleague, drafter, start=2, end=3)
    # nor can the head be away standing in for the one who is away
    with pytest.raises(StateError, match="cũng vắng mặt"):
        record(agency_head, agency_head, drafter, start=3, end=4)
    assert Absence.objects.count() == 1
    # once it is over, a new one may start
    assert record(drafter, drafter, colleague, start=6, end=8).stand_in == colleague


def test_a_stand_in_cannot_be_away_while_standing_in(drafter, colleague, agency_head):
    record(drafter, drafter, colleague, start=0, end=5)
    with pytest.raises(StateError, match="đang được giao thay mặt"):
        record(colleague, colleague, agency_head, start=4, end=6)
    assert Absence.objects.count() == 1


def test_only_the_person_their_head_or_staff_record_it(drafter, colleague, foreign_affairs):
    with pytest.raises(PermissionDenied):
        record(colleague, drafter, colleague)
    with pytest.raises(PermissionDenied):  # the head of another unit
        record(foreign_affairs, drafter, colleague)
    assert not Absence.objects.exists()
    foreign_affairs.is_staff = True
    assert record(foreign_affairs, drafter, colleague).created_by == foreign_affairs


@pytest.mark.parametrize(
    ("start", "end", "match"),
    [
        ("2026-13-01", day(1), "YYYY-MM-DD"),
        (day(3), day(1), "từ ngày bắt đầu"),
        (day(-5), day(-1), "quá khứ"),
        (day(0), day(400), "tối đa"),
    ],
)
def test_bad_dates_are_refused(drafter, colleague, start, end, match):
    with pytest.raises(InvalidInput, match=match):
        agencies.absence_create(
            actor=drafter,
            person_id=drafter.pk,
            stand_in_id=colleague.pk,
            start_date=start,
            end_date=end,
            reason="x",
        )
    assert not Absence.objects.exists()


def test_a_reason_is_required_and_unknown_people_are_not_found(drafter, colleague):
    with pytest.raises(InvalidInput):
        record(drafter, drafter, colleague, reason="  ")
    with pytest.raises(NotFound):
        agencies.absence_create(
            actor=drafter,
            person_id=drafter.pk,
            stand_in_id=999999,
            start_date=day(0),
            end_date=day(1),
            reason="x",
        )
    with pytest.raises(InvalidInput):
        agencies.absence_create(
            actor=drafter,
            person_id="abc",
            stand_in_id=colleague.pk,
            start_date=day(0),
            end_date=day(1),
            reason="x",
        )
    assert not Absence.objects.exists()


def test_someone_else_cannot_end_an_absence(drafter, colleague, foreign_affairs):
    absence = record(drafter, drafter, colleague)
    with pytest.raises(NotFound):
        agencies.absence_end(actor=foreign_affairs, absence_id=absence.pk)
    absence.refresh_from_db()
    assert absence.ended_at is None
    assert principals_of(colleague) == [drafter]


def test_absences_are_read_from_the_shared_cache_at_most_once_a_second(
    drafter, colleague, monkeypatch
):
    # given the process holding no absences, and the shared cache's reads counted
    from django.core.cache import cache

    from agencies import selectors

    record(drafter, drafter, colleague)
    reads: list[str] = []
    original = cache.get

    def counting(key, *args, **kwargs):
        reads.append(key)
        return original(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", counting)
    clock = [1000.0]
    monkeypatch.setattr(selectors.time, "monotonic", lambda: clock[0])

    # when a task completion asks twice within the second
    assert principals_of(colleague) == [drafter]
    assert stand_in_map([drafter.pk]) == {drafter.pk: colleague.pk}

    # then the shared cache was read once
    assert reads.count(selectors.ABSENCES_CACHE_KEY) == 1

    # and another process's change (the shared entry emptied) is seen once the second is over
    cache.set(selectors.ABSENCES_CACHE_KEY, [], 30)
    assert principals_of(colleague) == [drafter]
    clock[0] += selectors.ABSENCES_LOCAL_SECONDS
    assert principals_of(colleague) == []
    assert reads.count(selectors.ABSENCES_CACHE_KEY) == 2


def test_an_absence_ended_in_this_process_is_seen_at_once(drafter, colleague, agency_head):
    # given an absence the process has read
    absence = record(agency_head, drafter, colleague)
    assert principals_of(colleague) == [drafter]

    # when it is ended
    agencies.absence_end(actor=agency_head, absence_id=absence.pk)

    # then nobody stands in any more, without waiting for the held copy to expire
    assert principals_of(colleague) == []
