"""Working days (ngày làm việc) of Vietnam's state agencies, and deadlines counted in them.

A day is a working day unless it is a weekend day (Saturday, Sunday: state agencies work a 40-hour
week, Monday to Friday) or a public holiday of the Labour Code (Bộ luật Lao động 2019, Điều 112:
Tết Dương lịch, five days of Tết Âm lịch by the lunar calendar, Giỗ Tổ Hùng Vương, 30/4, 1/5, two days
of Quốc khánh; and the days off in lieu when one falls on a weekend). Those come from the `holidays`
package (`holidays.country_holidays("VN")`), which computes Tết from the lunar calendar and also
knows the swaps the Government decided in past years. Each year the Government announces its own
schedule (e.g. a weekday between a holiday and a weekend given off, worked back on a Saturday:
"nghỉ bù", "làm bù"); staff record what the package does not know as `CalendarDay` rows, which win
over everything else.

Counting (Bộ luật Dân sự 2015, Điều 147–148): a period of n working days set on day D ("trong thời
hạn 07 ngày làm việc kể từ ngày …") does not count D itself, whether D is a working day or not; it
starts on the next working day and ends at the end (24:00) of the n-th working day after D. A
deadline that falls on a day off moves to the end of the next working day.

- `is_working_day(day)`;
- `next_working_day(day)`: `day` itself if it is a working day, else the first working day after it
  (where a deadline falling on a day off moves to);
- `add_working_days(start, n)`: the n-th working day after `start` (not counting `start`); with a
  negative n, the |n|-th working day before it (a reminder one working day before a deadline);
- `working_days_between(start, end)`: how many working days d with start < d ≤ end, so that
  `working_days_between(s, add_working_days(s, n)) == n`;
- `working_deadline(start, n)`: the aware datetime at which such a period ends (23:59:59 local time
  of its last day, as the consultation's deadlines are stored).

Speed: the days of the years in use are computed once per process into a bit table and a sorted
list of the working days' ordinals, so each answer is a lookup or a bisection. Loading a span of
years reads the overrides of that span in one query. An edit clears this process's tables when it
commits; other processes (other workers, the timer dispatcher) notice a change of the overrides'
revision (count, last id, last update) within `CHECK_SECONDS`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import threading
import time
from array import array
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .errors import InvalidInput, NotFound, PermissionDenied
from .models import CalendarDay, User
from .validation import clean_comment

#: Saturday and Sunday (date.weekday() numbers).
WEEKEND = frozenset({5, 6})
#: How often another process's edits are looked for, in seconds.
CHECK_SECONDS = 2.0
#: Years the calendar answers for: beyond them a date is a typing mistake.
MIN_YEAR, MAX_YEAR = 1990, 2200
#: The most working days one period may count (about eight years).
MAX_PERIOD = 2000
#: The longest range the calendar lists at once (a page of days).
MAX_LIST_DAYS = 366


# ---------------------------------------------------------------------------------------------
# What the `holidays` package knows (fixed for the life of the process)


@functools.lru_cache(maxsize=64)
def _library_year(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """(public holidays, weekend days worked in exchange) of `year`, from the `holidays` package.

    A swap's worked Saturday may belong to the year before its day off (27/12/2014 for 02/01/2015),
    so the neighbouring years are built too and their swaps filtered to `year`."""
    import holidays

    country = holidays.country_holidays("VN", years=range(year - 1, year + 2))
    days_off = frozenset(day for day in country if day.year == year)
    worked = frozenset(day for day in country.weekend_workdays if day.year == year)
    return days_off, worked


@functools.lru_cache(maxsize=128)
def _library_names(year: int, language: str) -> dict[dt.date, str]:
    """Names of `year`'s public holidays in `language` ("vi" or "en_US")."""
    import holidays

    country = holidays.country_holidays("VN", years=year, language=language)
    return dict(country.items())


def _library_language() -> str:
    return "en_US" if (get_language() or "vi").startswith("en") else "vi"


# ---------------------------------------------------------------------------------------------
# The per-process tables


@dataclass(frozen=True)
class _Snapshot:
    """Working days of the years first_year..last_year: `flags[ordinal - base]` is 1 on a working
    day, `working` the sorted ordinals of the working days. Never changed once built."""

    first_year: int
    last_year: int
    base: int
    flags: bytes
    working: array
    revision: tuple[Any, ...]

    def covers(self, first_year: int, last_year: int) -> bool:
        return self.first_year <= first_year and last_year <= self.last_year


def _revision() -> tuple[Any, ...]:
    """Changes whenever a row is added, changed or deleted (ids only grow; updated_at moves)."""
    row = CalendarDay.objects.aggregate(n=Count("id"), last_id=Max("id"), last_at=Max("updated_at"))
    return (row["n"], row["last_id"], row["last_at"])


def _build(first_year: int, last_year: int) -> _Snapshot:
    revision = _revision()
    start = dt.date(first_year, 1, 1)
    end = dt.date(last_year, 12, 31)
    overrides = dict(
        CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "is_working_day")
    )
    base = start.toordinal()
    flags = bytearray(end.toordinal() - base + 1)
    for year in range(first_year, last_year + 1):
        days_off, worked = _library_year(year)
        day = dt.date(year, 1, 1)
        ordinal = day.toordinal()
        weekday = day.weekday()
        for offset in range(dt.date(year, 12, 31).toordinal() - ordinal + 1):
            flags[ordinal + offset - base] = (weekday + offset) % 7 not in WEEKEND
        for day in worked:
            flags[day.toordinal() - base] = 1
        for day in days_off:
            flags[day.toordinal() - base] = 0
    for day, is_working in overrides.items():
        flags[day.toordinal() - base] = 1 if is_working else 0
    working = array("i", (base + i for i, flag in enumerate(flags) if flag))
    return _Snapshot(first_year, last_year, base, bytes(flags), working, revision)


class _Calendar:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._checked_at = 0.0

    def clear(self) -> None:
        with self._lock:
            self._snapshot = None
            self._checked_at = 0.0

    def get(self, first_year: int, last_year: int) -> _Snapshot:
        """A snapshot covering first_year..last_year, rebuilt if the overrides changed."""
        # A date past either end gives first_year > last_year once clamped (add_working_days).
        if not (MIN_YEAR <= first_year <= last_year <= MAX_YEAR):
            raise InvalidInput(
                _("Ngày nằm ngoài phạm vi của lịch làm việc (năm %(min)s–%(max)s).")
                % {"min": MIN_YEAR, "max": MAX_YEAR},
                code="date_out_of_range",
            )
        snapshot = self._snapshot
        now = time.monotonic()
        if (
            snapshot is not None
            and snapshot.covers(first_year, last_year)
            and now - self._checked_at < CHECK_SECONDS
        ):
            return snapshot
        with self._lock:
            snapshot = self._snapshot
            if snapshot is not None and now - self._checked_at >= CHECK_SECONDS:
                if _revision() != snapshot.revision:
                    snapshot = None
                self._checked_at = now
            if snapshot is None or not snapshot.covers(first_year, last_year):
                if snapshot is not None:
                    # Keep what was loaded: grow the span rather than replace it.
                    first_year = min(first_year, snapshot.first_year)
                    last_year = max(last_year, snapshot.last_year)
                snapshot = _build(first_year, last_year)
                self._snapshot = snapshot
                self._checked_at = now
            return snapshot


_calendar = _Calendar()


def working_days_cache_clear() -> None:
    """Forget this process's tables (after an edit commits; between tests)."""
    _calendar.clear()


# ---------------------------------------------------------------------------------------------
# Reads


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    """A date; an aware datetime is taken in local time (Asia/Ho_Chi_Minh)."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    if not isinstance(value, dt.date):
        raise InvalidInput(_("Ngày không hợp lệ."), code="invalid_date")
    return value


def is_working_day(day: dt.date | dt.datetime) -> bool:
    """Whether `day` is a working day of state agencies."""
    day = _as_date(day)
    snapshot = _calendar.get(day.year, day.year)
    return bool(snapshot.flags[day.toordinal() - snapshot.base])


def next_working_day(day: dt.date | dt.datetime) -> dt.date:
    """`day` if it is a working day, else the first working day after it: where a deadline that
    falls on a day off moves to (Bộ luật Dân sự 2015, Điều 148.5)."""
    day = _as_date(day)
    _calendar.get(day.year, day.year)  # refuses a year outside the calendar (and 0001-01-01)
    return add_working_days(day - dt.timedelta(days=1), 1)


def _check_period(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or abs(n) > MAX_PERIOD:
        raise InvalidInput(
            _("Số ngày làm việc phải là số nguyên, tối đa %(max)s.") % {"max": MAX_PERIOD},
            code="invalid_period",
        )


def add_working_days(start: dt.date | dt.datetime, n: int) -> dt.date:
    """The n-th working day after `start`, not counting `start` itself (a period "trong thời hạn
    07 ngày làm việc" set on a Friday before a long holiday ends 7 working days after it). With
    n < 0, the |n|-th working day before `start`; n == 0 gives `next_working_day(start)`."""
    start = _as_date(start)
    _check_period(n)
    if n == 0:
        return next_working_day(start)
    ordinal = start.toordinal()
    # About 245 working days a year: load enough years at once, and more if that was too few.
    years = abs(n) // 200 + 1
    while True:
        if n > 0:
            snapshot = _calendar.get(start.year, min(start.year + years, MAX_YEAR))
            index = bisect.bisect_right(snapshot.working, ordinal) + n - 1
        else:
            snapshot = _calendar.get(max(start.year - years, MIN_YEAR), start.year)
            index = bisect.bisect_left(snapshot.working, ordinal) + n
        if 0 <= index < len(snapshot.working):
            return dt.date.fromordinal(snapshot.working[index])
        if years > MAX_PERIOD // 100:
            raise InvalidInput(
                _("Không tính được hạn: vượt quá phạm vi của lịch làm việc."),
                code="date_out_of_range",
            )
        years *= 2


def working_days_between(start: dt.date | dt.datetime, end: dt.date | dt.datetime) -> int:
    """How many working days d with start < d ≤ end (negative when end is before start): the n of
    `add_working_days(start, n) == end` when `end` is a working day."""
    start, end = _as_date(start), _as_date(end)
    if end < start:
        return -working_days_between(end, start)
    snapshot = _calendar.get(start.year, end.year)
    working = snapshot.working
    return bisect.bisect_right(working, end.toordinal()) - bisect.bisect_right(
        working, start.toordinal()
    )


def working_deadline(start: dt.date | dt.datetime, n: int) -> dt.datetime:
    """When a period of n working days set on `start` ends: 23:59:59 local time of its last day
    (Bộ luật Dân sự 2015, Điều 148.6: at 24:00 of that day; stored like a deadline typed as a
    date, documents.services._parse_deadline)."""
    last = add_working_days(start, n)
    return timezone.make_aware(dt.datetime.combine(last, dt.time(23, 59, 59)))


@dataclass(frozen=True)
class DeadlinePreview:
    """What a deadline set now will be: its last day, when it ends, whether it moved."""

    date: dt.date
    deadline: dt.datetime
    moved: bool
    label: str


def deadline_preview(
    *, start: dt.date | None = None, working_days: int | None = None, day: dt.date | None = None
) -> DeadlinePreview:
    """The deadline of `working_days` working days from `start` (today by default), or of the
    date `day` moved to the next working day when it is a day off; with a sentence to show."""
    if (working_days is None) == (day is None):
        raise InvalidInput(
            _("Nhập số ngày làm việc (working_days) hoặc một ngày (date)."), code="invalid"
        )
    if working_days is not None:
        if isinstance(working_days, bool) or not 1 <= working_days <= 250:
            raise InvalidInput(
                _("“working_days” phải là số nguyên từ 1 đến 250."), code="invalid_period"
            )
        last = add_working_days(start or timezone.localdate(), working_days)
        moved = False
    else:
        assert day is not None
        last = next_working_day(day)
        moved = last != day
    deadline = timezone.make_aware(dt.datetime.combine(last, dt.time(23, 59, 59)))
    label = _("Hạn: hết ngày %(weekday)s, %(date)s") % {
        "weekday": WEEKDAY_NAMES[last.weekday()],
        "date": last.strftime("%d/%m/%Y"),
    }
    if moved:
        label += " " + _("(ngày đã chọn là ngày nghỉ, hạn lùi đến ngày làm việc kế tiếp)")
    return DeadlinePreview(date=last, deadline=deadline, moved=moved, label=label)


#: Names of the weekdays, Monday first, as a date is read aloud ("thứ Hai").
WEEKDAY_NAMES = (
    _lazy("thứ Hai"),
    _lazy("thứ Ba"),
    _lazy("thứ Tư"),
    _lazy("thứ Năm"),
    _lazy("thứ Sáu"),
    _lazy("thứ Bảy"),
    _lazy("Chủ nhật"),
)


@dataclass(frozen=True)
class DayInfo:
    """One day of the calendar as people see it: working or not, and why."""

    class Source:
        WEEKDAY = "weekday"
        WEEKEND = "weekend"
        HOLIDAY = "holiday"
        SWAPPED_WORKDAY = "swapped_workday"  # a weekend day worked in exchange, known to `holidays`
        OVERRIDE = "override"  # a CalendarDay row

    date: dt.date
    is_working_day: bool
    source: str
    reason: str = ""


def calendar_day_list(*, start: dt.date, end: dt.date) -> list[DayInfo]:
    """Every day from `start` to `end` (both included, at most MAX_LIST_DAYS) and why it is, or is
    not, a working day. Holiday names in the active language."""
    if end < start:
        raise InvalidInput(_("Ngày kết thúc phải sau ngày bắt đầu."), code="invalid_range")
    if (end - start).days + 1 > MAX_LIST_DAYS:
        raise InvalidInput(
            _("Mỗi lần xem tối đa %(max)s ngày.") % {"max": MAX_LIST_DAYS}, code="range_too_long"
        )
    snapshot = _calendar.get(start.year, end.year)
    overrides = {
        row.date: row for row in CalendarDay.objects.filter(date__range=(start, end)).only("date")
    }
    language = _library_language()
    out = []
    day = start
    while day <= end:
        working = bool(snapshot.flags[day.toordinal() - snapshot.base])
        days_off, worked = _library_year(day.year)
        if day in overrides:
            source, reason = DayInfo.Source.OVERRIDE, overrides[day].reason
        elif day in days_off:
            source, reason = DayInfo.Source.HOLIDAY, _library_names(day.year, language).get(day, "")
        elif day in worked:
            source, reason = DayInfo.Source.SWAPPED_WORKDAY, _("Làm việc bù (hoán đổi ngày nghỉ)")
        elif day.weekday() in WEEKEND:
            source, reason = DayInfo.Source.WEEKEND, _("Nghỉ cuối tuần")
        else:
            source, reason = DayInfo.Source.WEEKDAY, ""
        out.append(DayInfo(date=day, is_working_day=working, source=source, reason=reason))
        day += dt.timedelta(days=1)
    return out


# ---------------------------------------------------------------------------------------------
# Writes (staff)


def _ensure_staff(actor: User) -> None:
    if not (actor.is_authenticated and actor.is_staff):
        raise PermissionDenied(_("Chỉ quản trị viên mới được sửa lịch ngày làm việc."))


@transaction.atomic
def calendar_day_set(
    *, actor: User, day: dt.date, is_working_day: bool, reason: str
) -> tuple[CalendarDay, bool]:
    """Staff record the Government's decision for `day`: a day off (nghỉ bù, nghỉ thêm) or a
    weekend day worked (làm bù), with the reason people will read (e.g. "Nghỉ bù Tết Dương lịch
    theo Thông báo số …"). Returns the row and whether it was created."""
    _ensure_staff(actor)
    day = _as_date(day)
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise InvalidInput(_("Ngày nằm ngoài phạm vi của lịch làm việc."), code="date_out_of_range")
    if not isinstance(is_working_day, bool):
        raise InvalidInput(_("“is_working_day” phải là true hoặc false."), code="invalid")
    reason = clean_comment(reason, label=_("lý do"), required=True, max_length=255)
    row, created = CalendarDay.objects.update_or_create(
        date=day,
        defaults={"is_working_day": is_working_day, "reason": reason, "updated_by": actor},
    )
    transaction.on_commit(working_days_cache_clear)
    return row, created


@transaction.atomic
def calendar_day_delete(*, actor: User, day: dt.date) -> None:
    """Staff remove the exception recorded for `day`: it follows the usual calendar again."""
    _ensure_staff(actor)
    deleted, _rows = CalendarDay.objects.filter(date=_as_date(day)).delete()
    if not deleted:
        raise NotFound(_("Ngày này không có điều chỉnh nào."))
    transaction.on_commit(working_days_cache_clear)
