"""The API's JSON parser: refuses what `agencies.validation.json_problem` refuses, as a 400."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .validation import json_problem


def _no_constant(name: str) -> Any:
    raise ValueError(_("NaN và Infinity không phải là số JSON hợp lệ"))


def loads_strict(raw: bytes | str) -> Any:
    """Parse JSON text; ValueError for anything malformed, too deep or not storable.

    NaN and Infinity are refused (they are not JSON), and so is nesting deep enough to exhaust
    the parser's recursion (RecursionError, which json.loads does not turn into ValueError).
    """
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(
            _("sai cú pháp JSON ở dòng %(line)d, cột %(column)d")
            % {"line": exc.lineno, "column": exc.colno}
        ) from exc
    except RecursionError as exc:
        raise ValueError(_("dữ liệu JSON lồng quá nhiều cấp")) from exc
    except UnicodeDecodeError as exc:
        raise ValueError(_("dữ liệu không phải UTF-8")) from exc
    problem = json_problem(data)
    if problem:
        raise ValueError(problem)
    return data


class StrictJSONParser(JSONParser):
    """DRF's JSON parser with the checks of `loads_strict`; errors are Vietnamese 400s."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read() if stream is not None else b""
        try:
            return loads_strict(raw)
        except ValueError as exc:
            raise ParseError(_("Dữ liệu JSON không hợp lệ: %(reason)s.") % {"reason": exc}) from exc
