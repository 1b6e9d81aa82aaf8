"""The end of a plan: the closing ("Trên đây là …"), "Nơi nhận" and the signature block.

They are read even when a scan has flattened the two columns they stand in ("Nơi nhận" on the
left, the signature on the right) into single lines: "- Bộ Tư pháp (b/c); KT. CHỦ TỊCH",
"- Lưu: VT, NC. Phạm Văn Thịnh". Nothing is invented: a plan with no signer or no "Nơi nhận"
gets none, and a warning says so.
"""

from __future__ import annotations

import re
from typing import Any

from .blocks import BlockWriter
from .directory import UnitDirectory
from .grammar import ARCHIVE, AUTHORITY, BULLET, RECIPIENTS, split_bullet
from .lines import Line
from .text import Notes, Rx, fold, is_upper, plain

#: A signing form inside a line ("… ; KT. CHỦ TỊCH"): where the signature column starts.
_FORM_INSIDE = re.compile(r"(?<=[\s;,.:])(?:TM|KT|Q|TL|TUQ)\s*\.\s*[A-ZĐÀ-Ỹ]")
#: Positions of a signer, written in capitals at the end of a flattened line.
_POSITION = Rx(
    r"(?:pho\s+)?(?:chu tich|giam doc|chanh van phong|truong ban|truong phong|bi thu|thu truong"
    r"|tong giam doc|vien truong|hieu truong|cuc truong|vu truong|bo truong|thu tuong)"
)
#: (OCR puts 0 for O and l or 1 for I.)
_POSITION_AT_END = re.compile(
    r"(?<=[;,.:)])\s+((?:PHÓ\s+|PH[O0]\s+)?[A-ZĐÀ-Ỹ][A-ZĐÀ-Ỹ0-9l|\s]{3,40})$"
)
#: A person's name: two to five words, each capitalised, at most 40 characters.
_NAME = re.compile(r"^(?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]*\.?\s+){1,4}[A-ZĐÀ-Ỹ][a-zà-ỹđ]+$")
#: (After the archive line, the drafter's initials may stand before it: "- Lưu: VT. HN Đồng
#: Văn Thanh".)
_NAME_AT_END = re.compile(
    r"(?<=[;,.)])\s+(?:[A-ZĐ]{1,4}\s+)?((?:[A-ZĐÀ-Ỹ][a-zà-ỹđ0-9]+\s+){1,4}[A-ZĐÀ-Ỹ][a-zà-ỹđ0-9]+)$"
)
#: Digits OCR reads for letters inside a name's words: "D0ng" is "Dong".
_NAME_DIGITS = str.maketrans({"0": "o", "1": "l", "5": "s"})


def ocr_name(text: str) -> str:
    """A name as OCR may give it, its digits read as the letters they stand for, a stray mark
    after it left out ("Nguyễn Mạnh Cường ,")."""
    text = text.strip().rstrip(" ,.;:'`")
    if not any(c.isdigit() for c in text):
        return text
    return " ".join(
        word[:1] + word[1:].translate(_NAME_DIGITS) if word[:1].isalpha() else word
        for word in text.split()
    )


_CAPS_DIGITS = str.maketrans({"0": "O", "1": "I", "l": "I", "|": "I"})


def ocr_caps(text: str) -> str:
    """A line in capitals as OCR may give it ("PH0 CHU TlCH"), its digits and l read as the
    capitals they stand for, in the words that have letters."""
    return " ".join(
        word.translate(_CAPS_DIGITS) if any(c.isalpha() and c != "l" for c in word) else word
        for word in text.split()
    )


def is_name(text: str) -> bool:
    text = ocr_name(text)
    return len(text) <= 40 and bool(_NAME.match(text))


#: Words of a position or a body, never of a person's name written in capitals.
_OFFICE_WORDS = frozenset(
    ["chu", "tich", "pho", "giam", "doc", "chanh", "uy", "ban", "bo", "so", "quyen", "tong", "cuc"]
)


def is_upper_name(text: str) -> bool:
    """A name in capitals under the position ("NGUYỄN VĂN ANH"), not a position."""
    text = text.strip()
    words = fold(text).split()
    return (
        is_upper(text)
        and 2 <= len(words) <= 5
        and is_name(text.title())
        and not _OFFICE_WORDS.intersection(words)
    )


def split_across(text: str) -> tuple[str, str]:
    """(left, right) of a line that holds both columns of the footer; (text, "") otherwise; ("",
    text) for a line of the signature alone."""
    stripped = text.strip()
    if _signature_like(stripped):
        return "", stripped
    gap = list(re.finditer(r"\s{2,}", stripped))
    if gap:
        cut = gap[-1]
        left, right = stripped[: cut.start()], stripped[cut.end() :]
        if _signature_like(right):
            return left, right
    if found := _FORM_INSIDE.search(stripped):
        return stripped[: found.start()].strip(), stripped[found.start() :].strip()
    for pattern in (_POSITION_AT_END, _NAME_AT_END):
        if found := pattern.search(stripped):
            right = found.group(1).strip()
            if pattern is _NAME_AT_END or _POSITION.match(right):
                return stripped[: found.start(1)].strip(), right
    return stripped, ""


def _signature_like(text: str) -> bool:
    if BULLET.match(text):
        return False  # "- Bộ NN&MT; KT. CHỦ TỊCH": a recipient first
    return bool(
        AUTHORITY.match(text) or (is_upper(text) and _POSITION.search(text)) or is_name(text)
    )


class FooterReader:
    """Reads the footer lines into closing, recipients and signature."""

    def __init__(
        self, directory: UnitDirectory, notes: Notes, source: dict[str, Any], units: BlockWriter
    ) -> None:
        self.directory = directory
        self.notes = notes
        self.source = source
        self.units = units

    def read(self, lines: list[Line]) -> dict[str, Any]:
        """Closing ("Trên đây là …"), "Nơi nhận" and the signature block."""
        self.closing: list[str] = []
        self.recipients: dict[str, Any] = {"units": [], "lines": [], "archive": ""}
        self.signature_lines: list[str] = []
        self.seen_label = False
        self.state = "closing"
        for line in lines:
            left, right = self._columns(line)
            if left:
                self._left(left)
            if right:
                self.signature_lines.append(right)
        signature = self._signature(self.signature_lines)
        self._check(signature)
        return {
            "closing": "\n".join(self.closing),
            "recipients": self.recipients,
            "signature": signature,
        }

    def _columns(self, line: Line) -> tuple[str, str]:
        """The line's text in the recipients column (left) and the signature column (right)."""
        text = line.text
        if line.in_table and line.column > 0:
            return "", text  # the signature cell of a footer table
        if self.state == "closing" and not (RECIPIENTS.match(text) or _signature_like(text)):
            return text, ""
        return split_across(text)

    def _left(self, text: str) -> None:
        if match := RECIPIENTS.match(text):
            rest = (match.group(1) or "").strip()
            if not rest or BULLET.match(rest):
                self.source["labels"].append(text[: len(text) - len(rest)].strip())
                self.state, self.seen_label = "recipients", True
                if not rest:
                    return
                text = rest
        if self.state == "closing":
            self.closing.append(text)
            return
        if self.state == "after":
            self.notes.unplaced.append(text)
            return
        bullet, rest = split_bullet(text)
        if match := ARCHIVE.match(rest):
            archive = (match.group(1) or "").strip().rstrip(" .;,")
            self.recipients["archive"] = f"Lưu: {archive}." if archive else "Lưu: VT."
            self.state = "after"
            return
        if self.state == "recipients" and (
            bullet or text.endswith(";") or not _signature_like(text)
        ):
            for part in _recipient_parts(rest):
                self._recipient(part)
            return
        self.signature_lines.append(text)

    def _recipient(self, text: str) -> None:
        name = text.strip().rstrip(" ;.,").strip()
        if not name:
            return
        recipients = self.recipients
        found = self.directory.lookup(name)
        if found:
            self.units.unit_issue(name, found)
            if fold(name) != fold(found.name):
                self.source["labels"].append(name)  # the name as written: "Đài PTTH Đồng Nai"
            if all(u["unit_id"] != found.unit_id for u in recipients["units"]):
                recipients["units"].append({"name": found.name, "unit_id": found.unit_id})
        else:
            recipients["lines"].append(name)

    def _signature(self, lines: list[str]) -> dict[str, Any]:
        """ "TM. ỦY BAN NHÂN DÂN" / "KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH" / name. What the file does
        not say stays empty: the signer is never invented."""
        result = {"authority": "", "collective": "", "deputy_for": "", "position": ""}
        result["signer_name"] = ""
        for text in lines:
            if not self._signature_line(text, result):
                self.notes.unplaced.append(text)
        return {**result, "signer_id": None}

    def _signature_line(self, text: str, result: dict[str, str]) -> bool:
        match = AUTHORITY.match(text)
        if match and is_upper(text):
            authority = f"{(match.group(1) or '').upper()}."
            rest = (match.group(2) or "").strip()
            if not result["authority"]:
                result["authority"] = authority
                result["collective" if authority == "TM." else "deputy_for"] = rest
            elif not result["deputy_for"]:
                result["deputy_for"] = rest
                self.source["labels"].append(text[: match.start(2)].strip())  # "KT."
            else:
                return False
            return True
        if is_upper(text) and not result["position"] and not any(c.isdigit() for c in plain(text)):
            result["position"] = ocr_caps(text)
            return True
        if not result["signer_name"] and (is_name(text) or is_upper_name(text)):
            result["signer_name"] = ocr_name(text)
            return True
        return False

    def _check(self, signature: dict[str, Any]) -> None:
        """Say what the footer lacks: no "Nơi nhận", no signing authority, no signer's name."""
        if not self.recipients["units"] and not self.recipients["lines"]:
            self.notes.warn(
                "Không tìm thấy “Nơi nhận” trong văn bản; vui lòng nhập nơi nhận (hệ thống không tự "
                "thêm).",
                code="no_recipients",
                path="recipients",
            )
        if not signature["authority"] and not signature["position"]:
            self.notes.warn(
                "Không tìm thấy khối chữ ký (thẩm quyền ký, chức vụ) trong văn bản; vui lòng nhập "
                "người ký (hệ thống không tự thêm).",
                code="no_signer",
                path="signature",
            )
        elif not signature["signer_name"]:
            self.notes.warn(
                "Không tìm thấy họ tên người ký trong khối chữ ký; vui lòng nhập.",
                code="no_signer_name",
                path="signature",
            )


def _recipient_parts(text: str) -> list[str]:
    """A recipients line naming two units ("Công an tỉnh; Bộ Chỉ huy Quân sự tỉnh") as two;
    "VPUB: CVP; PCVP …" (a unit and its offices) and "Bộ GD&ĐT; (để báo cáo)" stay one."""
    text = text.strip().rstrip(" ;.,")
    if ":" in text:
        return [text]
    return [part for part in re.split(r";\s+(?=[^(a-zà-ỹđ])", text) if part.strip()]
