"""The unit directory: unit names as written in a document matched to the directory's units,
despite case, diacritics, punctuation, abbreviations ("Sở TT&TT", "Đài PTTH") and small spelling
mistakes (flagged as fuzzy)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .text import clean_text, plain

#: Abbreviations people write in unit names, on plain text (no diacritics, lower case), and the
#: words they stand for. Both the directory and the names as written go through them.
ABBREVIATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), words)
    for pattern, words in (
        (r"\bstttt\b", "so thong tin truyen thong"),
        (r"\btt\s*(?:&|va|-|\+|/)?\s*tt\b|\btttt\b", "thong tin truyen thong"),
        (r"\bpt\s*[-–&/]?\s*th\b|\bptth\b", "phat thanh truyen hinh"),
        (
            r"\bvh\s*[,&-]?\s*tt\s*(?:&|va|,|-)?\s*dl\b|\bvhttdl\b|\bvhtt\s*&\s*dl\b",
            "van hoa the thao du lich",
        ),
        (r"\bkh\s*(?:&|va|-)\s*dt\b|\bkhdt\b", "ke hoach dau tu"),
        (r"\bkh\s*(?:&|va|-)\s*cn\b|\bkhcn\b", "khoa hoc cong nghe"),
        (r"\btn\s*(?:&|va|-)\s*mt\b|\btnmt\b", "tai nguyen moi truong"),
        (r"\bgd\s*(?:&|va|-)\s*dt\b|\bgddt\b", "giao duc dao tao"),
        (r"\bld\s*[-–]?\s*tb\s*(?:&|va|-)?\s*xh\b|\bldtbxh\b", "lao dong thuong binh xa hoi"),
        (r"\bnn\s*(?:&|va|-)\s*ptnt\b|\bnnptnt\b", "nong nghiep phat trien nong thon"),
        (r"\bgtvt\b", "giao thong van tai"),
        (r"\bubmttq(?:vn)?\b", "uy ban mat tran to quoc"),
        (r"\bmttq(?:vn)?\b", "mat tran to quoc"),
        (r"\bubnd\b", "uy ban nhan dan"),
        (r"\bhdnd\b", "hoi dong nhan dan"),
        (r"\bbchqs\b", "bo chi huy quan su"),
        (r"\bbtg\b", "ban tuyen giao"),
        (r"\bnxb\b", "nha xuat ban"),
        (r"\bvp\b", "van phong"),
        (r"\btp\b", "thanh pho"),
        (r"\btx\b", "thi xa"),
    )
)
UNIT_STOPWORDS = frozenset(("va",))


def unit_key(text: str) -> str:
    """The comparison key of a unit name: no diacritics, no case, no punctuation, abbreviations
    spelt out, "và" dropped. "Sở VH,TT&DL" and "Sở Văn hóa, Thể thao và Du lịch" have the same."""
    text = plain(clean_text(text))
    for pattern, words in ABBREVIATIONS:
        text = pattern.sub(f" {words} ", text)
    words = re.sub(r"[^0-9a-z]+", " ", text).split()
    return " ".join(w for w in words if w not in UNIT_STOPWORDS)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of `a` and `b`, or `limit + 1` once it is known to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class UnitMatch:
    unit_id: int
    name: str  # the directory's name
    is_fuzzy: bool = False  # matched despite a spelling difference: to be checked


class UnitDirectory:
    """Matches unit names as written to the directory: by full name or short name, whatever the
    case, diacritics, punctuation or abbreviations ("Sở TT&TT", "Đài PTTH", "UBND tỉnh"),
    tolerating a trailing province name, and small spelling mistakes (flagged as fuzzy)."""

    def __init__(self, rows: Sequence[tuple[int, str, str]], place: str = "") -> None:
        self._place = unit_key(place)
        keys: dict[str, set[int]] = {}
        self._names: dict[int, str] = {}
        for unit_id, name, short_name in rows:
            self._names.setdefault(unit_id, name)
            for alias in (name, short_name):
                key = unit_key(alias or "")
                if not key:
                    continue
                keys.setdefault(key, set()).add(unit_id)
                stripped = self._without_place(key)
                if stripped != key and len(stripped.split()) >= 2:
                    keys.setdefault(stripped, set()).add(unit_id)
        # A key shared by two units names neither.
        self._by_key = {key: ids.pop() for key, ids in keys.items() if len(ids) == 1}

    def _without_place(self, key: str) -> str:
        if self._place and key.endswith(" " + self._place):
            return key[: -len(self._place)].strip()
        return key

    def lookup(self, text: str) -> UnitMatch | None:
        """The directory unit named by `text` as written, or None."""
        key = unit_key(text)
        if not key:
            return None
        for candidate in dict.fromkeys((key, self._without_place(key))):
            if candidate in self._by_key:
                unit_id = self._by_key[candidate]
                return UnitMatch(unit_id, self._names[unit_id])
        return self._fuzzy(key)

    def _fuzzy(self, key: str) -> UnitMatch | None:
        """A unit whose key differs from `key` by a few letters (one per 12), with the same first
        word ("Sở …" is never "Ban …"), and no other unit as close."""
        if len(key) < 8:
            return None
        limit = max(1, len(key) // 12)
        first = key.split()[0]
        best: list[tuple[int, int]] = []
        for candidate, unit_id in self._by_key.items():
            if candidate.split()[0] != first:
                continue
            distance = edit_distance(key, candidate, limit)
            if distance <= limit:
                best.append((distance, unit_id))
        if not best:
            return None
        best.sort()
        ids = {unit_id for distance, unit_id in best if distance == best[0][0]}
        if len(ids) != 1:
            return None
        unit_id = best[0][1]
        return UnitMatch(unit_id, self._names[unit_id], is_fuzzy=True)

    def match(self, text: str) -> tuple[int, str] | None:
        """(unit_id, directory name) for a name as written, or None."""
        found = self.lookup(text)
        return (found.unit_id, found.name) if found else None

    def split_detail(self, text: str) -> list[tuple[str, UnitMatch | None]]:
        """A list of units as written ("A; B, C") as (name as written, match) pairs, in order.

        Splits on ";" and line breaks first, then on "," only where the pieces are directory
        units, trying the longest run of pieces first so that "Sở Văn hóa, Thể thao và Du lịch"
        stays whole, then on "và" when both sides are units. Names not in the directory keep
        their text (commas included) with no match.
        """
        out: list[tuple[str, UnitMatch | None]] = []
        for part in re.split(r"[;\n]+", text or ""):
            part = clean_text(part).strip(" .,")
            if not part:
                continue
            pieces = [p.strip() for p in part.split(",") if p.strip()]
            pending: list[str] = []
            index = 0
            while index < len(pieces):
                found = None
                end = index
                for end in range(len(pieces), index, -1):
                    found = self.lookup(", ".join(pieces[index:end]))
                    if found:
                        break
                if found:
                    if pending:
                        out.extend(self._split_and(", ".join(pending)))
                        pending = []
                    out.append((", ".join(pieces[index:end]), found))
                    index = end
                else:
                    pending.append(pieces[index])
                    index += 1
            if pending:
                out.extend(self._split_and(", ".join(pending)))
        return out

    def _split_and(self, text: str) -> list[tuple[str, UnitMatch | None]]:
        """ "Sở TT&TT và Báo Đồng Nai": two units when both sides are; else the text as is."""
        parts = [p.strip() for p in re.split(r"\s+(?:và|va|với|voi)\s+", text) if p.strip()]
        if len(parts) > 1:
            matches = [self.lookup(p) for p in parts]
            if all(matches):
                return list(zip(parts, matches, strict=True))
        return [(text, None)]

    def split(self, text: str) -> list[tuple[str, int | None]]:
        """Like `split_detail`, as (directory name or text as written, unit_id) pairs."""
        return [
            (found.name, found.unit_id) if found else (name, None)
            for name, found in self.split_detail(text)
        ]
