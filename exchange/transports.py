"""Exchange transports: how a package reaches a peer. One interface, `Transport.send`:

- `HttpTransport`: another installation of this system, `POST <base_url>/api/v1/exchange/inbox/`,
  each request signed with the peer's shared secret (HMAC-SHA256, `sign_request`).
- `NationalAxisTransport`: the national document exchange axis (Trục liên thông văn bản quốc
  gia). Its interface could not be verified here, so it sends nothing and says so; README
  ("Exchanging documents (edXML)") lists what a real connection needs.

`send` returns when the peer acknowledged the package (it registered it, or had already),
raises `Refused` when the peer will never take it (a broken package: no retry), and
`TransportError` when it may work later (network, time-out, 5xx, credentials): retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

INBOX_PATH = "/api/v1/exchange/inbox/"
HEADER_PEER = "X-Exchange-Peer"
HEADER_TIMESTAMP = "X-Exchange-Timestamp"
HEADER_SIGNATURE = "X-Exchange-Signature"


class TransportError(Exception):
    """Not delivered this time; try again later."""


class Refused(Exception):
    """The peer refused the package for good (its `detail` says why)."""

    def __init__(self, detail: str, code: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


@dataclass(frozen=True)
class Delivery:
    """The peer's acknowledgement: its JSON answer (`result`, `arrival_number`…)."""

    answer: dict[str, Any]


class Transport(Protocol):
    def send(self, *, xml: bytes) -> Delivery: ...


def request_signature(*, secret: str, peer_code: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over the sender's code, the timestamp and the body's SHA-256 (hex)."""
    message = f"{peer_code}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_request(*, secret: str, own_code: str, body: bytes) -> dict[str, str]:
    """The headers that authenticate `body` as sent by `own_code`."""
    timestamp = str(int(time.time()))
    return {
        HEADER_PEER: own_code,
        HEADER_TIMESTAMP: timestamp,
        HEADER_SIGNATURE: request_signature(
            secret=secret, peer_code=own_code, timestamp=timestamp, body=body
        ),
    }


class HttpTransport:
    """To another installation of this system, over HTTP(S)."""

    def __init__(self, *, base_url: str, secret: str, own_code: str, timeout: float) -> None:
        self.url = base_url.rstrip("/") + INBOX_PATH
        self.secret = secret
        self.own_code = own_code
        self.timeout = timeout

    def send(self, *, xml: bytes) -> Delivery:
        request = urllib.request.Request(
            self.url,
            data=xml,
            method="POST",
            headers={
                "Content-Type": "application/xml",
                "Accept": "application/json",
                **sign_request(secret=self.secret, own_code=self.own_code, body=xml),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Delivery(answer=_json(response.read(100_000)))
        except urllib.error.HTTPError as error:
            answer = _json(error.read(100_000))
            detail = str(answer.get("detail") or answer.get("error") or error.reason)[:1000]
            code = str(answer.get("error") or "")
            if error.code == 409 and code == "duplicate":
                return Delivery(answer={**answer, "result": "duplicate"})
            if error.code in (400, 404, 413, 415, 422):
                raise Refused(detail, code) from error
            raise TransportError(f"HTTP {error.code}: {detail}") from error
        except (OSError, ValueError) as error:  # refused, unreachable, time-out, bad URL
            raise TransportError(str(error)[:1000] or type(error).__name__) from error


class NationalAxisTransport:
    """The national axis: not connected (README says what a connection needs)."""

    def send(self, *, xml: bytes) -> Delivery:
        raise TransportError(
            "Chưa kết nối Trục liên thông văn bản quốc gia: cần tài khoản, chứng thư và giao "
            "diện kết nối do Văn phòng Chính phủ cấp (xem README)."
        )


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
