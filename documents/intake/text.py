"""Text helpers of the readers: normalised text, diacritics-folded comparison keys, patterns written
in plain lower case, and the notes a reader keeps for the drafter."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator


def clean_text(text: str) -> str:
    """NFC, every run of whitespace (tabs, non-breaking spaces, line breaks) as one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text or "")).strip()


def fold(text: str) -> str:
    """A comparison key without diacritics, in lower case, punctuation as spaces.

    "Sở TT&TT" → "so tt tt"; "Sở Văn hóa, Thể thao" → "so van hoa the thao".
    """
    text = unicodedata.normalize("NFD", text or "").replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn").lower()
    return re.sub(r"[^0-9a-z]+", " ", text).strip()


@functools.lru_cache(maxsize=8192)
def plain_char(char: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFD", char) if unicodedata.category(c) != "Mn")
    base = base.replace("đ", "d").replace("Đ", "D").lower()
    if len(base) == 1:
        return base
    lower = char.lower()
    return lower if len(lower) == 1 else char


def plain(text: str) -> str:
    """`text` in lower case without diacritics, character for character (same length), so that a
    match on it gives positions in `text`: "Đơn vị chủ trì:" → "don vi chu tri:". Digits an
    OCR engine puts for letters inside words are read as those letters ("ph0i h0p" → "phoi
    hop", "chu tr1" → "chu tri", "1ien" → "lien")."""
    out = "".join(map(plain_char, text))
    if any(c in out for c in "015"):
        out = _OCR_DIGITS.sub(_letter, out)
    if "l" in text and (found := list(_CAPS_L.finditer(text))):
        chars = list(out)
        for match in found:
            chars[match.start()] = "i"  # "CHỦ TlCH": an I read as l between capitals
        out = "".join(chars)
    return out


#: An "l" between capitals: OCR's reading of an "I" ("TlCH", "VlỆT").
_CAPS_L = re.compile(r"(?<=[A-ZĐÀ-Ỹ])l(?=[A-ZĐÀ-Ỹ])")


#: A 0, 1 or 5 with a letter before or after it, inside a word.
_OCR_DIGITS = re.compile(r"(?<=[a-z])[015]|[015](?=[a-z])")


def _letter(found: re.Match[str]) -> str:
    digit = found.group()
    if digit == "1":
        start = found.start()
        before = found.string[start - 1] if start else " "
        return "i" if before.isalpha() else "l"
    return "o" if digit == "0" else "s"


class Found:
    """A match on the plain text whose groups are read from the original text."""

    def __init__(self, match: re.Match[str], text: str) -> None:
        self._match = match
        self._text = text

    def group(self, index: int | str = 0) -> str | None:
        start, end = self._match.span(index)
        return None if start < 0 else self._text[start:end]

    def groups(self) -> tuple[str | None, ...]:
        return tuple(self.group(i) for i in range(1, (self._match.re.groups or 0) + 1))

    def start(self, index: int = 0) -> int:
        return self._match.start(index)

    def end(self, index: int = 0) -> int:
        return self._match.end(index)


class Rx:
    """A pattern written in plain lower case ("don vi chu tri"), matched on `plain(text)`: the
    same labels are recognised with or without diacritics and in any case (OCR text)."""

    def __init__(self, pattern: str) -> None:
        self._rx = re.compile(pattern)

    def match(self, text: str) -> Found | None:
        found = self._rx.match(plain(text))
        return Found(found, text) if found else None

    def search(self, text: str) -> Found | None:
        found = self._rx.search(plain(text))
        return Found(found, text) if found else None

    def finditer(self, text: str) -> Iterator[Found]:
        for found in self._rx.finditer(plain(text)):
            yield Found(found, text)


def is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def has_diacritics(char: str) -> bool:
    return char.isalpha() and plain_char(char) != char.lower()


def sentences(text: str) -> list[str]:
    """Split after ".", "!" or "?" when the next sentence starts with a capital or a digit."""
    out: list[str] = []
    start = 0
    for match in re.finditer(r"[.!?]\s+", text):
        following = text[match.end() : match.end() + 1]
        if following and (following.isupper() or following.isdigit()):
            out.append(text[start : match.end()].strip())
            start = match.end()
    out.append(text[start:].strip())
    return [sentence for sentence in out if sentence]


class Notes:
    """What a reader says about the file: its issues for the drafter (each once), and the
    paragraphs it could not place."""

    def __init__(self) -> None:
        self.issues: list[dict[str, str]] = []
        self.unplaced: list[str] = []

    def warn(self, message: str, *, code: str = "note", text: str = "", path: str = "") -> None:
        """Note an issue once. `path` names the part of the content it concerns, the way the
        editor addresses it ("signature", "recipients", "place", "sections.3",
        "sections.1.children.0"), so that the editor shows it next to that part."""
        if all(issue["message"] != message for issue in self.issues):
            issue = {"code": code, "message": message, "text": text}
            if path:
                issue["path"] = path
            self.issues.append(issue)

    @property
    def messages(self) -> list[str]:
        return [issue["message"] for issue in self.issues]
