"""The one error family that services raise; edges map it to a message and a status once.

Every app raises these (or subclasses); `config.middleware` and `config.api_errors` turn them into a
Vietnamese page message or a JSON body with 400, 403, 404 or 409.
"""

from typing import Any


class DomainError(Exception):
    """A refused domain action. `message` is for the user (Vietnamese); `code` is stable."""

    status = 400
    code = "invalid"

    def __init__(
        self, message: str, *, code: str | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        #: Facts a client can act on (e.g. which action already took effect), added to the JSON.
        self.extra = dict(extra or {})


class InvalidInput(DomainError):
    status = 400
    code = "invalid"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class StateError(DomainError):
    """The action does not fit the current state (wrong step, already done, closed)."""

    status = 409
    code = "wrong_state"


class TooManyRequests(DomainError):
    """Refused for now: too many attempts or requests; `retry_after` seconds until it may work."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code, extra={"retry_after": retry_after})
        self.retry_after = retry_after
