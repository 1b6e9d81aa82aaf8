"""Checks of untrusted input shared by every app: ids, texts, comments, JSON trees.

Every value that reaches a service from outside (a page, the API, a socket) passes through one of
these, so that what the database or the renderer cannot take (a NUL character, half of a UTF-16
surrogate pair, an integer beyond 64 bits, JSON nested thousands deep, NaN) is refused as bad input
with a clear message instead of failing later as a server error.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from .errors import InvalidInput

#: The largest id a database row can have (a signed 64-bit integer).
MAX_ID = 2**63 - 1
#: Deeper JSON is refused: plan content nests about ten levels; parsers recurse.
MAX_JSON_DEPTH = 32
#: The longest comment, return reason, answer or note a person may type.
MAX_COMMENT = 5_000
#: The most ids one request may name (units consulted, notifications marked read…).
MAX_IDS = 1_000


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None. PostgreSQL refuses NUL in text and JSON,
    and a lone surrogate cannot be encoded as UTF-8."""
    if "\x00" in value:
        return _("không được chứa ký tự NUL (\\u0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("chứa ký tự Unicode không hợp lệ (nửa cặp thay thế UTF-16)")
    return None


def check_text(value: str, *, label: str) -> str:
    """`value` unchanged, or InvalidInput naming `label`."""
    problem = text_problem(value)
    if problem:
        raise InvalidInput(
            _("Trường “%(label)s” %(problem)s.") % {"label": label, "problem": problem},
            code="invalid_text",
        )
    return value


def clean_comment(
    value: Any, *, label: str | None = None, required: bool = False, max_length: int = MAX_COMMENT
) -> str:
    """A person's comment, reason or note: a string, stripped, storable, at most `max_length`."""
    label = label or _("ý kiến")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(
            _("Trường “%(label)s” phải là chuỗi ký tự.") % {"label": label}, code="invalid_text"
        )
    value = check_text(value, label=label).strip()
    if required and not value:
        raise InvalidInput(
            _("Vui lòng nhập %(label)s.") % {"label": label}, code="comment_required"
        )
    if len(value) > max_length:
        raise InvalidInput(
            _("Trường “%(label)s” quá dài (tối đa %(max)d ký tự, đã nhập %(length)d).")
            % {"label": label, "max": max_length, "length": len(value)},
            code="too_long",
        )
    return value


def parse_id(value: Any, *, label: str) -> int:
    """A row id: a whole number 1 … 2⁶³−1, or its decimal digits. `true` is not an id."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip()) if len(value.strip()) <= 19 else MAX_ID + 1
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise InvalidInput(
            _("“%(label)s” phải là mã số (số nguyên dương).") % {"label": label},
            code="invalid_id",
        )
    return value


def parse_ids(values: Any, *, label: str, max_items: int = MAX_IDS) -> list[int]:
    """A list of row ids (see `parse_id`), duplicates removed, in the order given."""
    if not isinstance(values, list | tuple):
        raise InvalidInput(
            _("“%(label)s” phải là một danh sách mã số.") % {"label": label}, code="invalid_id"
        )
    if len(values) > max_items:
        raise InvalidInput(
            _("“%(label)s” có quá nhiều phần tử (tối đa %(max)d).")
            % {"label": label, "max": max_items},
            code="invalid_id",
        )
    return list(dict.fromkeys(parse_id(v, label=label) for v in values))


def json_problem(data: Any, *, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Why parsed JSON `data` cannot be accepted, or None: too deep, a text that cannot be
    stored, an integer beyond 64 bits, or a number that is not finite. Iterative, so any depth
    is examined without recursion."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > max_depth:
                return _("lồng quá %(max)d cấp") % {"max": max_depth}
            items: Iterable[Any]
            if isinstance(value, dict):
                for key in value:
                    if not isinstance(key, str) or text_problem(key):
                        return _("có tên trường không hợp lệ")
                items = value.values()
            else:
                items = value
            stack.extend((item, depth + 1) for item in items)
        elif isinstance(value, str):
            problem = text_problem(value)
            if problem:
                return problem
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not -MAX_ID - 1 <= value <= MAX_ID:
                return _("có số nguyên vượt quá 64 bit")
        elif isinstance(value, float) and not math.isfinite(value):
            return _("có số không hữu hạn (NaN, Infinity)")
    return None


def check_json(data: Any, *, label: str = "JSON") -> Any:
    """`data` unchanged, or InvalidInput saying what is wrong with it."""
    problem = json_problem(data)
    if problem:
        raise InvalidInput(
            _("Dữ liệu %(label)s không hợp lệ: %(problem)s.")
            % {"label": label, "problem": problem},
            code="invalid_json",
        )
    return data
