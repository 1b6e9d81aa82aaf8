"""The URL converter for row ids: `<id:plan_id>`.

Django's `<int:…>` takes any number of digits, and a number beyond 64 bits then fails in the
database driver (OverflowError on SQLite, a DataError on PostgreSQL) as a server error. An id
here is 1 to 19 digits; anything longer does not match, so the answer is an ordinary 404, and
a 19-digit number above the largest id simply finds nothing.
"""

from django.urls import register_converter

from .validation import MAX_ID


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("beyond 64 bits")  # Django treats it as "no match": a 404
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))


def register() -> None:
    register_converter(IdConverter, "id")
