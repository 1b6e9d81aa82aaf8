"""Search over plans (drafts and issued) and incoming documents, without regard to Vietnamese
diacritics: "ke hoach thong tin doi ngoai" finds "Kế hoạch thông tin đối ngoại" (đ/Đ read as d).

The index is a table, `SearchEntry`: one row per document with what the results show (title,
number "262/KH-UBND", units, signer, date) and folded copies for the filters. Beside it, a
full-text index of the title, number/units/signer and text, chosen by the database:

- PostgreSQL: a `search_vector` tsvector column with a GIN index, built with the text search
  configuration `kehoach_vi` (the `simple` parser and dictionary after the `unaccent` extension,
  migration 0010). The text is given with its punctuation turned into spaces, so that a number
  such as "262/KH-UBND" is three words ("262", "kh", "ubnd") and not one "file" token of
  PostgreSQL's parser; unaccent and simple then fold the diacritics, đ and the case. Matched
  through the GIN index; ranked by ts_rank on a second, small vector (`rank_vector`: the title
  weighted A, number/units/signer B), then newest first: the text's own vector is large (stored
  in TOAST) and reading it for every match was the whole cost of a search.
- SQLite (the embedded default): an FTS5 table `documents_searchentry_fts` (title, meta, body)
  whose rowid is the SearchEntry id, given text already folded here (FTS5's unicode61 tokenizer
  removes diacritics but keeps đ as it is), and a small one of the title and meta alone
  (`documents_searchentry_fts_head`), ranked by bm25 (title 10, number/units/signer 4), then
  newest first: the same order as on PostgreSQL.

Kept in sync by the service that writes, not by triggers: `search_index_update(plan)` and
`search_index_update_incoming(incoming)` run in the transaction of the service that created or
changed the document, so the index commits or rolls back with it. Triggers could not do it: the
text of a plan is spread through its JSON content, and neither database's trigger language folds
Vietnamese as the search does (SQLite has no unaccent at all).

`search(user=…, query=…, filters=…, page=…)` returns one page of hits the user may see (a user sees
what they draft, were asked to act on or received; incoming documents of their unit), ranked, with
the title and a snippet of the text highlighted (HTML-escaped, matches in <mark>). Without a query
it lists what the filters select, newest first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import heapq
import html
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.errors import InvalidInput
from agencies.models import User

from .models import IncomingDocument, Plan, SearchEntry
from .rendering import doc_type_words, format_number
from .selectors import _access_filter, _incoming_filter

#: At most this many words of a query are used.
MAX_TERMS = 12
MAX_TERM_LENGTH = 40
MAX_QUERY_LENGTH = 500
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 20
#: Characters of text around the matches in a snippet.
SNIPPET_WIDTH = 240
#: A snippet is taken from the first characters of the text (matches further on are not shown).
SNIPPET_SCAN = 30_000
FTS_TABLE = "documents_searchentry_fts"
#: The title and number/units/signer again, small: ranked for every match.
FTS_HEAD_TABLE = "documents_searchentry_fts_head"
TS_CONFIG = "kehoach_vi"
#: Keys of a plan's content that hold codes, not words.
_CODE_KEYS = frozenset({"kind", "doc_type", "issued_by", "due_date", "authority", "urgency"})


# ---------------------------------------------------------------------------------------------
# Folding: the same on both databases, one character for one character


class _FoldTable(dict[int, str]):
    """str.translate table built as characters are met: a letter without its diacritics and in
    lower case (đ/Đ → d), a digit as it is, anything else a space. Always one character for one,
    so positions in folded text are positions in the text (for highlighting)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char in "đĐ":
            out = "d"
        else:
            base = unicodedata.normalize("NFD", char)[0]
            lower = base.lower()
            out = lower if len(lower) == 1 else base
            if not out.isalnum():
                out = " "
        self[code] = out
        return out


class _SpaceTable(dict[int, str]):
    """Letters and digits kept as they are (with their diacritics), anything else a space."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        out = char if char.isalnum() else " "
        self[code] = out
        return out


_FOLD = _FoldTable()
_SPACE = _SpaceTable()


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


@functools.cache
def _fold_list() -> list[str]:
    """The fold of every character of the Basic Multilingual Plane, as a list: translating
    with a list is twice as fast as with a dict. Characters beyond it stay as they are."""
    return [_FOLD[code] for code in range(0x10000)]


def search_fold(text: str) -> str:
    """`text` (NFC) without diacritics, in lower case, đ as d, punctuation as spaces; the same
    length as `text`: "Số 262/KH-UBND, Đồng Nai" → "so 262 kh ubnd  dong nai"."""
    return _nfc(text).translate(_fold_list())


def _spaced(text: str) -> str:
    """`text` with its punctuation as spaces, letters untouched (PostgreSQL folds them)."""
    return _nfc(text).translate(_SPACE)


def _is_prefix(terms: list[str], index: int) -> bool:
    """The last word of a query is matched as the beginning of a word (a search as it is typed),
    from two characters on: one letter would match most of the index."""
    return index == len(terms) - 1 and len(terms[index]) >= 2


def search_terms(query: str) -> list[str]:
    """The folded words of a query, at most MAX_TERMS of at most MAX_TERM_LENGTH characters."""
    words = search_fold(query[:MAX_QUERY_LENGTH]).split()
    return [word[:MAX_TERM_LENGTH] for word in words][:MAX_TERMS]


# ---------------------------------------------------------------------------------------------
# What is indexed


def _strings(data: Any, key: str = "") -> Iterator[str]:
    """Every text of a plan's content JSON, in reading order, codes left out."""
    if key in _CODE_KEYS:
        return
    if isinstance(data, str):
        if data.strip():
            yield data.strip()
    elif isinstance(data, dict):
        for name, value in data.items():
            yield from _strings(value, name)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item, key)


def _unit_names(content: dict[str, Any]) -> list[str]:
    """Units named in a plan's content: lead and coordinating units of its tasks, recipients."""
    names: list[str] = []

    def walk(data: Any, key: str = "") -> None:
        if isinstance(data, dict):
            for name, value in data.items():
                if name in ("lead_units", "coordinating_units", "units") and isinstance(
                    value, list
                ):
                    for unit in value:
                        if isinstance(unit, dict) and isinstance(unit.get("name"), str):
                            names.append(unit["name"])
                        elif isinstance(unit, str):
                            names.append(unit)
                else:
                    walk(value, name)
        elif isinstance(data, list):
            for item in data:
                walk(item, key)

    walk(content)
    return names


def _unique(names: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for name in names:
        name = " ".join(name.split())
        if name and name.casefold() not in {n.casefold() for n in seen}:
            seen[name] = None
    return list(seen)


def _plan_fields(plan: Plan) -> dict[str, Any]:
    content = plan.content or {}
    signature = content.get("signature") or {}
    signer = (plan.signer.full_name or plan.signer.username) if plan.signer_id else ""
    signer = signer or str(signature.get("signer_name") or "")
    number = ""
    if plan.number is not None:
        number = (
            format_number(
                plan.number,
                plan.doc_type,
                plan.issuer.abbreviation or "UBND",
                str(content.get("drafting_unit_abbreviation") or ""),
            )
            .removeprefix("Số:")
            .strip()
        )
    units = _unique([plan.drafting_unit.name, *_unit_names(content)])
    issued = plan.status == "issued"  # also read from migrations' historical models
    return {
        "kind": SearchEntry.Kind.ISSUED if issued else SearchEntry.Kind.PLAN,
        "plan_id": plan.pk,
        "incoming_id": None,
        "doc_type": plan.doc_type,
        "title": _nfc(plan.title),
        "number": number,
        "units": "; ".join(units),
        "signer": _nfc(signer),
        "date": plan.issued_on if issued else timezone.localtime(plan.created_at).date(),
        "body": _plan_text(content),
    }


def _plan_text(content: dict[str, Any]) -> str:
    return _nfc("\n".join(_strings({k: v for k, v in content.items() if k != "title"})))


def _incoming_text(incoming: Any) -> str:
    texts = [*incoming.addressees, *incoming.body, *incoming.recipients, *incoming.signature]
    return _nfc("\n".join(str(t) for t in texts if t))


def _incoming_fields(incoming: IncomingDocument) -> dict[str, Any]:
    units = [incoming.sender, incoming.parent_sender, incoming.registering_unit.name]
    if incoming.assigned_unit_id:
        units.append(incoming.assigned_unit.name)
    return {
        "kind": SearchEntry.Kind.INCOMING,
        "plan_id": None,
        "incoming_id": incoming.pk,
        "doc_type": incoming.doc_type,
        "title": _nfc(incoming.subject),
        "number": _nfc(incoming.number),
        "units": "; ".join(_unique(u for u in units if u)),
        "signer": _nfc(incoming.signer_name),
        "date": incoming.date or timezone.localtime(incoming.registered_at).date(),
        "body": _incoming_text(incoming),
    }


# ---------------------------------------------------------------------------------------------
# Writes


def _vendor() -> str:
    return connection.vendor


def _index_title(entry: Any) -> str:
    """The title as searched: with its type, "Kế hoạch …", "Công văn V/v …"."""
    return f"{doc_type_words(entry.doc_type)} {entry.title}"


def _write_fulltext(indexed: list[tuple[Any, str]]) -> None:
    """The full-text rows of saved entries and their text, replacing those they had. The text
    is not kept in SearchEntry: a long column would slow every scan of the table (SQLite reads
    a row's overflow pages to reach the columns after it); snippets read it from the document."""
    if not indexed:
        return
    entries = [entry for entry, _text in indexed]
    bodies = {entry.pk: text for entry, text in indexed}
    with connection.cursor() as cursor:
        if _vendor() == "postgresql":
            cursor.executemany(
                f"UPDATE documents_searchentry SET rank_vector = "
                f"setweight(to_tsvector('{TS_CONFIG}', %s), 'A') || "
                f"setweight(to_tsvector('{TS_CONFIG}', %s), 'B') WHERE id = %s",
                [
                    (_spaced(_index_title(e)), _spaced(f"{e.number} {e.units} {e.signer}"), e.pk)
                    for e in entries
                ],
            )
            cursor.executemany(
                f"UPDATE documents_searchentry SET search_vector = "
                f"setweight(to_tsvector('{TS_CONFIG}', %s), 'A') || "
                f"setweight(to_tsvector('{TS_CONFIG}', %s), 'B') || "
                f"setweight(to_tsvector('{TS_CONFIG}', %s), 'C') WHERE id = %s",
                [
                    (
                        _spaced(_index_title(e)),
                        _spaced(f"{e.number} {e.units} {e.signer}"),
                        _spaced(bodies[e.pk]),
                        e.pk,
                    )
                    for e in entries
                ],
            )
        else:
            _fts_delete(cursor, [e.pk for e in entries])
            rows = [
                (
                    e.pk,
                    search_fold(_index_title(e)),
                    search_fold(f"{e.number} {e.units} {e.signer}"),
                    search_fold(bodies[e.pk]),
                )
                for e in entries
            ]
            cursor.executemany(
                f"INSERT INTO {FTS_TABLE} (rowid, title, meta, body) VALUES (%s, %s, %s, %s)", rows
            )
            cursor.executemany(
                f"INSERT INTO {FTS_HEAD_TABLE} (rowid, title, meta) VALUES (%s, %s, %s)",
                [row[:3] for row in rows],
            )


def _fts_delete(cursor: Any, ids: list[int]) -> None:
    for table in (FTS_TABLE, FTS_HEAD_TABLE):
        cursor.executemany(f"DELETE FROM {table} WHERE rowid = %s", [(pk,) for pk in ids])


def _entry_save(fields: dict[str, Any]) -> SearchEntry:
    key = (
        {"plan_id": fields["plan_id"]}
        if fields["plan_id"]
        else {"incoming_id": fields["incoming_id"]}
    )
    fields = dict(fields)
    body = fields.pop("body")
    values = {
        **fields,
        "number_folded": search_fold(fields["number"]),
        "units_folded": search_fold(fields["units"]),
        "signer_folded": search_fold(fields["signer"]),
    }
    entry, _created = SearchEntry.objects.update_or_create(**key, defaults=values)
    _write_fulltext([(entry, body)])
    return entry


def search_index_update(plan: Plan) -> SearchEntry:
    """Index `plan` as it is now (title, content, number, units, signer, date, draft or issued).
    Call it in the transaction of every service that creates or changes a plan."""
    plan = Plan.objects.select_related("drafting_unit", "issuer", "signer").get(pk=plan.pk)
    return _entry_save(_plan_fields(plan))


def search_index_update_incoming(incoming: IncomingDocument) -> SearchEntry:
    """Index an incoming document as it is now; call it where one is registered or changed."""
    incoming = (
        IncomingDocument.objects.select_related("registering_unit", "assigned_unit")
        .defer("original", "reading", "signatures")
        .get(pk=incoming.pk)
    )
    return _entry_save(_incoming_fields(incoming))


def search_index_rebuild(*, batch_size: int = 500, apps: Any = None) -> int:
    """Index every plan and incoming document again, from nothing (after a restore; migration
    0010 with its historical models as `apps`); returns how many. A few statements per
    `batch_size` documents."""
    models = (
        (apps.get_model("documents", m) for m in ("Plan", "IncomingDocument", "SearchEntry"))
        if apps is not None
        else (Plan, IncomingDocument, SearchEntry)
    )
    plan_model, incoming_model, entry_model = models
    entry_model.objects.all().delete()
    if _vendor() != "postgresql":
        with connection.cursor() as cursor:
            for table in (FTS_TABLE, FTS_HEAD_TABLE):
                cursor.execute(f"DELETE FROM {table}")
    count = 0
    plans = plan_model.objects.select_related("drafting_unit", "issuer", "signer").order_by("pk")
    incoming = (
        incoming_model.objects.select_related("registering_unit", "assigned_unit")
        .defer("original", "reading", "signatures")
        .order_by("pk")
    )
    for queryset, fields_of in ((plans, _plan_fields), (incoming, _incoming_fields)):
        batch: list[dict[str, Any]] = []
        for document in queryset.iterator(chunk_size=batch_size):
            batch.append(fields_of(document))
            if len(batch) >= batch_size:
                count += _save_batch(batch, entry_model)
                batch = []
        count += _save_batch(batch, entry_model)
    return count


def _save_batch(batch: list[dict[str, Any]], model: Any = SearchEntry) -> int:
    if not batch:
        return 0
    bodies = [fields["body"] for fields in batch]
    entries = model.objects.bulk_create(
        [
            model(
                **{key: value for key, value in fields.items() if key != "body"},
                number_folded=search_fold(fields["number"]),
                units_folded=search_fold(fields["units"]),
                signer_folded=search_fold(fields["signer"]),
            )
            for fields in batch
        ]
    )
    _write_fulltext(list(zip(entries, bodies, strict=True)))
    return len(entries)


# ---------------------------------------------------------------------------------------------
# Reads


@dataclass(frozen=True)
class SearchFilters:
    """Narrow a search: number ("262/KH"), unit and signer (words of their names, diacritics
    optional), a date range (both ends included), and the kinds of document."""

    number: str = ""
    unit: str = ""
    signer: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    kinds: tuple[str, ...] = ()
    #: Plans at these statuses (incoming documents have none: left out when given).
    statuses: tuple[str, ...] = ()
    #: Document types: "KH", "QĐ", "CV"…
    doc_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchCursor:
    """Where a page of results ended, in their order (rank, then date, newest first, then id):
    the next page starts after it (keyset paging: a page costs the same at any depth, and
    documents indexed meanwhile do not shift it). Written in a URL as "rank~day~id"."""

    rank: float
    day: int  # the date's ordinal, 0 without a date
    pk: int

    def key(self) -> tuple[float, int, int]:
        return (-self.rank, -self.day, -self.pk)

    def __str__(self) -> str:
        return f"{self.rank!r}~{self.day}~{self.pk}"

    @classmethod
    def parse(cls, text: str) -> SearchCursor | None:
        """The cursor of `text`; None when empty; InvalidInput when malformed."""
        if not text:
            return None
        parts = text.split("~")
        try:
            if len(text) > 80 or len(parts) != 3:
                raise ValueError(text)
            rank, day, pk = float(parts[0]), int(parts[1]), int(parts[2])
            if not math.isfinite(rank) or not 0 <= day <= 4_000_000 or not 0 < pk < 2**63:
                raise ValueError(text)
        except ValueError as exc:
            raise InvalidInput(_("Con trỏ trang không hợp lệ."), code="invalid_cursor") from exc
        return cls(rank=rank, day=day, pk=pk)


@dataclass(frozen=True)
class SearchHit:
    kind: str
    plan_id: int | None
    incoming_id: int | None
    doc_type: str
    title: str
    title_html: str
    number: str
    units: str
    signer: str
    date: dt.date | None
    status: str
    snippet_html: str
    rank: float


@dataclass(frozen=True)
class SearchPage:
    results: list[SearchHit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    #: Where the next page starts (`search(after=…)`); "" on the last page.
    next_cursor: str = ""

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


def _visible(user: User) -> Q:
    plans = Plan.objects.filter(_access_filter(user)).values("pk")
    visible = Q(plan_id__in=plans)
    if user.unit_id:
        incoming = IncomingDocument.objects.filter(_incoming_filter(user)).values("pk")
        visible |= Q(incoming_id__in=incoming)
    return visible


def _filtered(user: User, filters: SearchFilters) -> Any:
    entries = SearchEntry.objects.filter(_visible(user))
    if filters.kinds:
        entries = entries.filter(kind__in=filters.kinds)
    if filters.statuses:
        entries = entries.filter(plan__status__in=filters.statuses)
    if filters.doc_types:
        entries = entries.filter(doc_type__in=filters.doc_types)
    for name, value in (
        ("number_folded", filters.number),
        ("units_folded", filters.unit),
        ("signer_folded", filters.signer),
    ):
        for word in search_fold(value).split()[:MAX_TERMS]:
            entries = entries.filter(**{f"{name}__contains": word})
    if filters.date_from:
        entries = entries.filter(date__gte=filters.date_from)
    if filters.date_to:
        entries = entries.filter(date__lte=filters.date_to)
    return entries


def _check(filters: SearchFilters, page: int, page_size: int) -> None:
    kinds = set(SearchEntry.Kind.values)
    if any(kind not in kinds for kind in filters.kinds):
        raise InvalidInput(
            _("Loại văn bản phải là: plan, issued hoặc incoming."), code="invalid_kind"
        )
    if any(status not in Plan.Status.values for status in filters.statuses):
        raise InvalidInput(_("Trạng thái không hợp lệ."), code="invalid_status")
    if len(filters.statuses) > 20 or len(filters.doc_types) > 20:
        raise InvalidInput(_("Quá nhiều điều kiện lọc."), code="too_many_filters")
    if any(not 1 <= len(doc_type) <= 8 for doc_type in filters.doc_types):
        raise InvalidInput(_("Loại văn bản không hợp lệ."), code="invalid_doc_type")
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        raise InvalidInput(_("Ngày kết thúc phải sau ngày bắt đầu."), code="invalid_range")
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= 10_000:
        raise InvalidInput(_("Số trang không hợp lệ."), code="invalid_page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(
            _("Mỗi trang có từ 1 đến %(max)s kết quả.") % {"max": MAX_PAGE_SIZE},
            code="invalid_page_size",
        )
    for value in (filters.number, filters.unit, filters.signer):
        if len(value) > MAX_QUERY_LENGTH:
            raise InvalidInput(_("Điều kiện tìm kiếm quá dài."), code="query_too_long")


def _ranked_ids(
    terms: list[str], entries: Any, limit: int, offset: int, after: SearchCursor | None = None
) -> tuple[list[tuple[int, float]], int]:
    """(id, rank) of one page of entries matching every term (the last as a prefix), best first,
    and how many match in all.

    Ranked on the title (and number, units, signer) only, then newest first: every match is
    ranked, and reading the text's positions for each was the whole cost of a search with
    10,000 plans (60 ms on SQLite, 0.3-0.6 s on PostgreSQL where the text's vector is in TOAST).
    The same order on both databases."""
    if _vendor() == "postgresql":
        return _ranked_ids_postgresql(terms, entries, limit, offset, after)
    words = [f'"{t}"' + (" *" if _is_prefix(terms, i) else "") for i, t in enumerate(terms)]
    every, some = " AND ".join(words), " OR ".join(words)
    visible_sql, visible_params = entries.values("id", "date").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [every])
        matched = {pk for (pk,) in cursor.fetchall()}
        if not matched:
            return [], 0
        cursor.execute(visible_sql, visible_params)
        kept = [(pk, day) for pk, day in cursor.fetchall() if pk in matched]
        # bm25 is lower for better matches: its opposite is the rank.
        cursor.execute(
            f"SELECT rowid, -bm25({FTS_HEAD_TABLE}, 10.0, 4.0) FROM {FTS_HEAD_TABLE} "
            f"WHERE {FTS_HEAD_TABLE} MATCH %s",
            [some],
        )
        ranks = dict(cursor.fetchall())
    return _page([(pk, ranks.get(pk, 0.0), day) for pk, day in kept], limit, offset, after)


def _order(match: tuple[int, float, Any]) -> tuple[float, int, int]:
    pk, rank, day = match
    if isinstance(day, str):  # SQLite's raw rows
        day = dt.date.fromisoformat(day)
    return (-float(rank), -(day.toordinal() if day else 0), -int(pk))


def _page(
    kept: list[tuple[int, float, Any]],
    limit: int,
    offset: int,
    after: SearchCursor | None = None,
) -> tuple[list[tuple[int, float]], int]:
    """One page of (id, rank, date) by rank, then date, newest first, then id (after `after`,
    else from `offset`); and the count of all."""
    total = len(kept)
    if after is not None:
        start = after.key()
        kept = [match for match in kept if _order(match) > start]
        offset = 0
    best = heapq.nsmallest(offset + limit, kept, key=_order)
    return [(int(pk), float(rank)) for pk, rank, _day in best[offset:]], total


def _ranked_ids_postgresql(
    terms: list[str], entries: Any, limit: int, offset: int, after: SearchCursor | None = None
) -> tuple[list[tuple[int, float]], int]:
    """In two statements: the matches, ranked on the small `rank_vector` (title A; number,
    units, signer B), through the GIN index; then which of them the user may see and the
    filters keep."""
    words = [t + (":*" if _is_prefix(terms, i) else "") for i, t in enumerate(terms)]
    every, some = " & ".join(words), " | ".join(words)
    with connection.cursor() as cursor:
        with _index_scans(cursor):
            cursor.execute(
                f"SELECT e.id, ts_rank(e.rank_vector, to_tsquery('{TS_CONFIG}', %s)), e.date "
                f"FROM documents_searchentry e "
                f"WHERE e.search_vector @@ to_tsquery('{TS_CONFIG}', %s)",
                [some, every],
            )
            matches = cursor.fetchall()
        if not matches:
            return [], 0
        visible_sql, visible_params = entries.values("id").query.sql_with_params()
        # The visible ids alone (30 ms for 7,000 of 11,000) are cheaper than testing the matches
        # against them in SQL (an array of 11,000 ids: 45 ms).
        cursor.execute(visible_sql, visible_params)
        visible = {pk for (pk,) in cursor.fetchall()}
    return _page([m for m in matches if m[0] in visible], limit, offset, after)


@contextlib.contextmanager
def _index_scans(cursor: Any) -> Iterator[None]:
    """PostgreSQL: match through the GIN index, never by reading every row's vector (use it
    for the one-table match only: it would spoil the plans of the visibility test).

    When most rows match, the planner prefers a sequential scan, which tests `@@` on each row's
    vector, fetched from TOAST (its cost model does not count that): 0.2 s for 11,000 documents
    against 10 ms through the index. Sequential scans are turned off for these statements only
    (set_config(…, true) is local to the transaction) and the previous setting put back."""
    with transaction.atomic():
        cursor.execute(
            "SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)"
        )
        previous = cursor.fetchone()[0]
        try:
            yield
        finally:
            cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [previous])


def search(
    *,
    user: User,
    query: str = "",
    filters: SearchFilters | None = None,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    after: SearchCursor | None = None,
) -> SearchPage:
    """One page of the documents `user` may see that match `query` (every word, diacritics
    optional, the last word of two letters or more as a prefix) and `filters`: ranked by relevance (title first, then
    number, units and signer, then text), or newest first without a query. `after` (the
    previous page's `next_cursor`) pages by keyset instead of by `page`."""
    filters = filters or SearchFilters()
    _check(filters, page, page_size)
    if not user.is_authenticated:
        return SearchPage(page=page, page_size=page_size)
    terms = search_terms(query)
    if len(terms) > 1 and len(terms[-1]) == 1:
        # A letter just typed after other words narrows nothing yet (see _is_prefix).
        terms = terms[:-1]
    entries = _filtered(user, filters)
    offset = (page - 1) * page_size
    if terms:
        ranked, total = _ranked_ids(terms, entries, page_size + 1, offset, after)
        by_id = SearchEntry.objects.in_bulk([pk for pk, _rank in ranked])
        rows = [(by_id[pk], rank) for pk, rank in ranked if pk in by_id]
    else:
        total = entries.count()
        ordered = entries.order_by(F("date").desc(nulls_last=True), "-id")
        if after is not None:
            ordered = ordered.filter(_after_date(after))
            offset = 0
        rows = [(entry, 0.0) for entry in ordered[offset : offset + page_size + 1]]
    next_cursor = ""
    if len(rows) > page_size:
        rows = rows[:page_size]
        last, last_rank = rows[-1]
        day = last.date.toordinal() if last.date else 0
        next_cursor = str(SearchCursor(rank=last_rank, day=day, pk=last.pk))
    texts, statuses = _page_texts([entry for entry, _rank in rows])
    results = [
        SearchHit(
            kind=entry.kind,
            plan_id=entry.plan_id,
            incoming_id=entry.incoming_id,
            doc_type=entry.doc_type,
            title=entry.title,
            title_html=highlight(entry.title, terms),
            number=entry.number,
            units=entry.units,
            signer=entry.signer,
            date=entry.date,
            status=statuses.get(entry.plan_id, ""),
            snippet_html=snippet(texts.get((entry.plan_id, entry.incoming_id), ""), terms),
            rank=rank,
        )
        for entry, rank in rows
    ]
    return SearchPage(
        results=results, total=total, page=page, page_size=page_size, next_cursor=next_cursor
    )


def _after_date(after: SearchCursor) -> Q:
    """The entries after `after` in the order of a search without words: newest date first
    (without a date last), then the highest id."""
    if not after.day:
        return Q(date__isnull=True, id__lt=after.pk)
    day = dt.date.fromordinal(after.day)
    return Q(date__lt=day) | Q(date=day, id__lt=after.pk) | Q(date__isnull=True)


def _page_texts(
    entries: list[SearchEntry],
) -> tuple[dict[tuple[int | None, int | None], str], dict[int, str]]:
    """The text of each document of a page (for its snippet) and each plan's current status
    (not indexed: it changes at every step): two queries."""
    texts: dict[tuple[int | None, int | None], str] = {}
    statuses: dict[int, str] = {}
    plan_ids = [e.plan_id for e in entries if e.plan_id]
    for plan in Plan.objects.filter(pk__in=plan_ids).only("pk", "status", "content"):
        texts[(plan.pk, None)] = _plan_text(plan.content or {})
        statuses[plan.pk] = plan.status
    incoming_ids = [e.incoming_id for e in entries if e.incoming_id]
    for incoming in IncomingDocument.objects.filter(pk__in=incoming_ids).only(
        "pk", "addressees", "body", "recipients", "signature"
    ):
        texts[(None, incoming.pk)] = _incoming_text(incoming)
    return texts, statuses


# ---------------------------------------------------------------------------------------------
# Highlighting


def _pattern(terms: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(
        f"(?P<t{i}>{re.escape(term)}{'[^ ]*' if _is_prefix(terms, i) else ''})"
        for i, term in enumerate(terms)
    )
    return re.compile(rf"(?<![^ ])(?:{alternatives})(?![^ ])")


def _match_spans(
    folded: str, terms: list[str], *, limit: int = 200, enough_after: int | None = None
) -> list[tuple[int, int, int]]:
    """(start, end, term index) of the words of `folded` that match a term: whole words, the
    last term also as a prefix. With `enough_after`, stop that many characters after the point
    where every term has been met."""
    if not terms:
        return []
    spans: list[tuple[int, int, int]] = []
    seen: set[int] = set()
    stop_at: int | None = None
    for match in _pattern(terms).finditer(folded):
        if stop_at is not None and match.start() > stop_at:
            break
        index = int(match.lastgroup[1:])  # type: ignore[index]
        spans.append((match.start(), match.end(), index))
        seen.add(index)
        if enough_after is not None and stop_at is None and len(seen) == len(terms):
            stop_at = match.start() + enough_after
        if len(spans) >= limit:
            break
    return spans


def _marked(text: str, spans: list[tuple[int, int, int]], start: int, end: int) -> str:
    """text[start:end] HTML-escaped, its runs of white space as one space, spans in <mark>."""

    def escaped(piece: str) -> str:
        return html.escape(_WHITE_SPACE.sub(" ", piece))

    out = []
    position = start
    for span_start, span_end, _index in spans:
        if span_start < start or span_end > end:
            continue
        out.append(escaped(text[position:span_start]))
        out.append(f"<mark>{escaped(text[span_start:span_end])}</mark>")
        position = span_end
    out.append(escaped(text[position:end]))
    return "".join(out)


_WHITE_SPACE = re.compile(r"\s+")


def highlight(text: str, terms: list[str]) -> str:
    """`text` HTML-escaped, the words that match `terms` in <mark>."""
    text = _nfc(text)
    return _marked(text, _match_spans(search_fold(text), terms), 0, len(text))


def _densest(spans: list[tuple[int, int, int]], reach: int) -> int:
    """The start of the span from which the next `reach` characters hold the most different
    terms (a sliding window over the spans, in order)."""
    counts: dict[int, int] = {}
    best, best_count, right = spans[0][0], 0, 0
    for left, (start, _end, _index) in enumerate(spans):
        while right < len(spans) and spans[right][0] < start + reach:
            counts[spans[right][2]] = counts.get(spans[right][2], 0) + 1
            right += 1
        if len(counts) > best_count:
            best, best_count = start, len(counts)
        term = spans[left][2]
        counts[term] -= 1
        if not counts[term]:
            del counts[term]
    return best


def snippet(text: str, terms: list[str], *, width: int = SNIPPET_WIDTH) -> str:
    """About `width` characters of `text` around the place where the most different terms match,
    HTML-escaped, matches in <mark>, "…" where it was cut; the beginning without a match. Only
    the first SNIPPET_SCAN characters are read, and only until every term has been met."""
    text = _nfc(text[:SNIPPET_SCAN]).strip()
    if not text:
        return ""
    folded = text.translate(_fold_list())
    spans = _match_spans(folded, terms, enough_after=width)
    start = 0
    if spans:
        best = _densest(spans, width * 2 // 3)
        start = max(0, best - width // 3)
        if start:
            space = folded.find(" ", start)
            start = space + 1 if 0 <= space < best else start
    end = min(len(text), start + width)
    if end < len(text):
        space = folded.rfind(" ", start, end)
        end = space if space > start else end
    body = _marked(text, spans, start, end).strip()
    return ("…" if start else "") + body + ("…" if end < len(text) else "")
