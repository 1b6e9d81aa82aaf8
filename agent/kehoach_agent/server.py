"""The agent's HTTP server on 127.0.0.1: the pages' API and the agent's own window.

Any web page the signer opens can send requests to 127.0.0.1, so nothing here trusts a page:

- **Host** must be 127.0.0.1:<port> or localhost:<port> (a DNS-rebinding page has another Host);
- **Origin** (set by the browser, not by the page's script) names the page; only origins the user
  paired, on the agent's side, may list certificates or ask for a signature;
- **CORS**: answers carry `Access-Control-Allow-Origin` for that origin only; POSTs must be JSON,
  which forces a preflight; the preflight answers Chrome's Private Network Access request
  (`Access-Control-Allow-Private-Network`);
- **confirmation**: pairing and every signature wait for the user in the agent's window, where
  the PIN is typed; a page never sends a PIN (a request carrying one is refused);
- the agent's window (`/`) is same-origin only, not frameable, and its calls carry a secret of
  this run that only a page read from the agent itself can know.

The pages' API (JSON):

- `GET  /v1/status` → {agent, version, paired, ui}
- `POST /v1/pair` {code} → waits for the user → {paired: true} | 403 pairing_refused
- `GET  /v1/certificates` (paired) → {certificates: [{id (SHA-256 of the certificate), subject,
  issuer, serial, not_before, not_after, token_label, certificate (base64 DER), chain: [...]}]}
- `POST /v1/sign` (paired) {certificate_id, digest (base64 SHA-256), algorithm, description,
  purpose: "sign" | "enrol"} → waits for the user's PIN → {signature (base64)}

Errors are {error: code, detail: message} with 4xx/5xx: not_paired (403), refused (403),
pin_incorrect, pin_locked, pin_invalid (401), token_removed (503), certificate_not_found (404),
timeout (408), busy (409), bad_request (400), bad_host (421), bad_origin (403).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import threading
import time
import webbrowser
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import __version__, ui
from .i18n import _, language
from .tokens import ALGORITHMS, TokenCertificate, TokenError, Tokens

MAX_BODY = 64 * 1024
PAIR_TIMEOUT = 120.0
SIGN_TIMEOUT = 180.0
MAX_PENDING = 4
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


TOKEN_STATUS = {
    "pin_incorrect": 401,
    "pin_locked": 401,
    "pin_invalid": 401,
    "token_removed": 503,
    "module_unavailable": 503,
    "certificate_not_found": 404,
    "key_not_found": 404,
    "mechanism_unsupported": 400,
    "bad_request": 400,
}


def _token_refusal(error: TokenError) -> Refusal:
    return Refusal(TOKEN_STATUS.get(error.code, 500), error.code, error.message)


# PAIRED ORIGINS


class Pairings:
    """The origins the user paired, kept in `<config dir>/paired-origins.json`."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "paired-origins.json"
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        origins = data.get("origins") if isinstance(data, dict) else None
        return origins if isinstance(origins, dict) else {}

    def all(self) -> dict[str, Any]:
        with self._lock:
            return self._read()

    def has(self, origin: str) -> bool:
        return origin in self.all()

    def _write(self, origins: dict[str, Any]) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"origins": origins}, indent=2), "utf-8")
        temporary.replace(self.path)

    def add(self, origin: str) -> None:
        with self._lock:
            origins = self._read()
            origins[origin] = {"paired_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
            self._write(origins)

    def remove(self, origin: str) -> None:
        with self._lock:
            origins = self._read()
            origins.pop(origin, None)
            self._write(origins)


# REQUESTS WAITING FOR THE USER


@dataclass
class Pending:
    id: str
    kind: str  # "pair" | "sign"
    origin: str
    created: float
    code: str = ""
    certificate: TokenCertificate | None = None
    digest: bytes = b""
    algorithm: str = ""
    description: str = ""
    purpose: str = "sign"
    done: threading.Event = field(default_factory=threading.Event)
    outcome: tuple[int, dict[str, Any]] | None = None

    def public(self) -> dict[str, Any]:
        """What the agent's window shows (never the PIN, which only goes the other way)."""
        shown: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "origin": self.origin,
            "purpose": self.purpose,
        }
        if self.kind == "pair":
            shown["code"] = self.code
        else:
            assert self.certificate is not None
            shown.update(
                description=self.description,
                digest=self.digest.hex(),
                certificate={
                    "subject": self.certificate.subject,
                    "issuer": self.certificate.issuer,
                    "serial": format(self.certificate.certificate.serial_number, "x"),
                    "not_after": self.certificate.certificate.not_valid_after_utc.strftime(
                        "%d/%m/%Y"
                    ),
                    "token_label": self.certificate.token_label,
                },
            )
        return shown

    def settle(self, status: int, body: dict[str, Any]) -> None:
        if not self.done.is_set():
            self.outcome = (status, body)
            self.done.set()


class Agent:
    """The agent's state: tokens, paired origins, requests waiting for the user."""

    def __init__(
        self, *, tokens: Tokens, pairings: Pairings, port: int, open_browser: bool = True
    ) -> None:
        self.tokens = tokens
        self.pairings = pairings
        self.port = port
        self.open_browser = open_browser
        self.secret = secrets.token_urlsafe(32)
        self._pending: dict[str, Pending] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._version = 0  # bumped whenever a request starts or ends waiting
        self._watchers = 0  # agent windows waiting for news right now
        self._window_seen = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def allowed_hosts(self) -> set[str]:
        return {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    def own_origins(self) -> set[str]:
        return {f"http://{h}" for h in self.allowed_hosts()}

    # the user's window

    def window_seen(self) -> None:
        self._window_seen = time.monotonic()

    def _call_the_user(self) -> None:
        """Open the agent's window in the browser, unless one is open (watching, or seen lately)."""
        with self._lock:
            watched = self._watchers > 0
        if self.open_browser and not watched and time.monotonic() - self._window_seen > 5:
            threading.Thread(target=webbrowser.open, args=(self.url,), daemon=True).start()

    def state(self, *, after: int = -1, wait: float = 20.0) -> dict[str, Any]:
        """What waits for the user; with `after`, once something changed since that version
        (a long poll: the window shows a request the moment it arrives)."""
        self.window_seen()
        with self._changed:
            self._watchers += 1
            try:
                self._changed.wait_for(lambda: self._version != after, timeout=wait)
            finally:
                self._watchers -= 1
            pending = [p.public() for p in self._pending.values() if not p.done.is_set()]
            version = self._version
        self.window_seen()
        return {
            "version": version,
            "pending": pending,
            "paired": sorted(self.pairings.all()),
            "agent_version": __version__,
            "language": language(),
        }

    # waiting

    def _wait(self, request: Pending, timeout: float) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if len(
                [p for p in self._pending.values() if not p.done.is_set()]
            ) >= MAX_PENDING or any(
                p.origin == request.origin and not p.done.is_set() for p in self._pending.values()
            ):
                raise Refusal(
                    409,
                    "busy",
                    _("Đang có một yêu cầu khác chờ xác nhận trên chương trình ký số."),
                )
            self._pending[request.id] = request
            self._version += 1
            self._changed.notify_all()
        self._call_the_user()
        try:
            if not request.done.wait(timeout):
                request.settle(
                    408,
                    {
                        "error": "timeout",
                        "detail": _("Hết thời gian chờ xác nhận trên chương trình ký số."),
                    },
                )
            assert request.outcome is not None
            return request.outcome
        finally:
            with self._lock:
                self._pending.pop(request.id, None)
                self._version += 1
                self._changed.notify_all()

    # the pages' API

    def pair(self, origin: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        code = body.get("code")
        if not isinstance(code, str) or not re.fullmatch(r"\d{6}", code):
            raise Refusal(400, "bad_request", _("Yêu cầu không hợp lệ: %s") % "code")
        if self.pairings.has(origin):
            return 200, {"paired": True}
        request = Pending(
            id=secrets.token_urlsafe(12), kind="pair", origin=origin, created=time.time(), code=code
        )
        return self._wait(request, PAIR_TIMEOUT)

    def _ensure_paired(self, origin: str) -> None:
        if not self.pairings.has(origin):
            raise Refusal(
                403, "not_paired", _("Trang này chưa được ghép nối với chương trình ký số.")
            )

    def certificates(self, origin: str) -> tuple[int, dict[str, Any]]:
        self._ensure_paired(origin)
        try:
            found = self.tokens.certificates()
        except TokenError as error:
            raise _token_refusal(error) from error
        return 200, {"certificates": [c.summary() for c in found]}

    def sign(self, origin: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self._ensure_paired(origin)
        if "pin" in body:  # the PIN is typed in the agent's window, never sent by a page
            raise Refusal(400, "bad_request", _("Yêu cầu không hợp lệ: %s") % "pin")
        certificate_id = body.get("certificate_id")
        algorithm = body.get("algorithm")
        description = body.get("description") or ""
        purpose = body.get("purpose") or "sign"
        try:
            digest = base64.b64decode(str(body.get("digest") or ""), validate=True)
        except (binascii.Error, ValueError):
            digest = b""
        if (
            not isinstance(certificate_id, str)
            or not re.fullmatch(r"[0-9a-fA-F]{64}", certificate_id)
            or algorithm not in ALGORITHMS
            or len(digest) != 32
            or not isinstance(description, str)
            or purpose not in ("sign", "enrol")
        ):
            raise Refusal(
                400,
                "bad_request",
                _("Yêu cầu không hợp lệ: %s") % "certificate_id, digest, algorithm",
            )
        try:
            certificate = self.tokens.find(certificate_id)
        except TokenError as error:
            raise _token_refusal(error) from error
        request = Pending(
            id=secrets.token_urlsafe(12),
            kind="sign",
            origin=origin,
            created=time.time(),
            certificate=certificate,
            digest=digest,
            algorithm=algorithm,
            description=description[:300],
            purpose=purpose,
        )
        return self._wait(request, SIGN_TIMEOUT)

    # the user's decisions

    def decide(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The user's answer in the agent's window; a signature is made here, with the PIN."""
        with self._lock:
            request = self._pending.get(str(body.get("id")))
        if request is None or request.done.is_set():
            raise Refusal(404, "not_found", _("Không tìm thấy."))
        with self._lock:  # the window redraws without the request being decided
            self._version += 1
            self._changed.notify_all()
        if body.get("approve") is not True:
            request.settle(
                403,
                {"error": "refused", "detail": _("Người dùng đã từ chối trên chương trình ký số.")},
            )
            return 200, {"ok": True, "message": _("Đã từ chối.")}
        if request.kind == "pair":
            self.pairings.add(request.origin)
            request.settle(200, {"paired": True})
            return 200, {"ok": True, "message": _("Đã ghép nối.")}
        pin = body.get("pin")
        if not isinstance(pin, str) or not pin:
            raise Refusal(400, "pin_missing", _("Vui lòng nhập mã PIN."))
        assert request.certificate is not None
        try:
            value = self.tokens.sign_digest(
                wanted=request.certificate,
                digest=request.digest,
                algorithm=request.algorithm,
                pin=pin,
            )
        except TokenError as error:
            # the page learns why, and nothing is signed; the user sees the same
            request.settle(
                TOKEN_STATUS.get(error.code, 500), {"error": error.code, "detail": error.message}
            )
            return 200, {"ok": False, "error": error.code, "message": error.message}
        finally:
            del pin
        request.settle(200, {"signature": base64.b64encode(value).decode("ascii")})
        return 200, {"ok": True, "message": _("Đã ký.")}

    def window_certificates(self) -> tuple[int, dict[str, Any]]:
        try:
            found = self.tokens.certificates()
        except TokenError as error:
            return 200, {"certificates": [], "error": error.message}
        return 200, {
            "certificates": [
                {k: v for k, v in c.summary().items() if k not in ("certificate", "chain")}
                for c in found
            ]
        }


# HTTP


def _handler(agent: Agent) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "kehoach-agent"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            return  # no request log: nothing of the pages' requests is kept

        # answers

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str,
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, data: dict[str, Any], cors_origin: str = "") -> None:
            headers = {"Vary": "Origin"}
            if cors_origin:
                headers["Access-Control-Allow-Origin"] = cors_origin
            self._send(
                status,
                json.dumps(data, ensure_ascii=False).encode("utf-8"),
                "application/json; charset=utf-8",
                headers,
            )

        def _refuse(self, refusal: Refusal, cors_origin: str = "") -> None:
            self._json(
                refusal.status, {"error": refusal.code, "detail": refusal.message}, cors_origin
            )

        # what the request says

        def _host_ok(self) -> bool:
            return (self.headers.get("Host") or "").lower() in agent.allowed_hosts()

        def _origin(self) -> str:
            origin = (self.headers.get("Origin") or "").strip()
            return origin if ORIGIN.fullmatch(origin) and len(origin) <= 200 else ""

        def _body(self) -> dict[str, Any]:
            if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
                raise Refusal(415, "bad_request", _("Yêu cầu không hợp lệ: %s") % "Content-Type")
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 < length <= MAX_BODY:
                raise Refusal(413, "bad_request", _("Yêu cầu không hợp lệ: %s") % "Content-Length")
            try:
                data = json.loads(self.rfile.read(length).decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as error:
                raise Refusal(400, "bad_request", _("Yêu cầu không hợp lệ: %s") % "JSON") from error
            if not isinstance(data, dict):
                raise Refusal(400, "bad_request", _("Yêu cầu không hợp lệ: %s") % "JSON")
            return data

        # routing

        def _dispatch(self) -> None:
            path = urlsplit(self.path).path
            if not self._host_ok():
                return self._refuse(
                    Refusal(
                        421,
                        "bad_host",
                        _("Chương trình ký số chỉ phục vụ tại 127.0.0.1 hoặc localhost."),
                    )
                )
            if path.startswith("/v1/"):
                return self._page_api(path)
            return self._window(path)

        def _page_api(self, path: str) -> None:
            origin = self._origin()
            if not origin or origin in agent.own_origins():
                return self._refuse(
                    Refusal(403, "bad_origin", _("Thiếu hoặc sai nguồn gốc (Origin) của trang."))
                )
            if self.command == "OPTIONS":
                headers = {
                    "Access-Control-Allow-Origin": origin,
                    "Access-Control-Allow-Methods": "GET, POST",
                    "Access-Control-Allow-Headers": "Content-Type",
                    "Access-Control-Max-Age": "600",
                    "Vary": "Origin",
                }
                if self.headers.get("Access-Control-Request-Private-Network") == "true":
                    headers["Access-Control-Allow-Private-Network"] = "true"
                return self._send(204, b"", "text/plain", headers)
            try:
                if self.command == "GET" and path == "/v1/status":
                    status, data = (
                        200,
                        {
                            "agent": "kehoach-agent",
                            "version": __version__,
                            "paired": agent.pairings.has(origin),
                            "ui": agent.url,
                        },
                    )
                elif self.command == "POST" and path == "/v1/pair":
                    status, data = agent.pair(origin, self._body())
                elif self.command == "GET" and path == "/v1/certificates":
                    status, data = agent.certificates(origin)
                elif self.command == "POST" and path == "/v1/sign":
                    status, data = agent.sign(origin, self._body())
                else:
                    raise Refusal(404, "not_found", _("Không tìm thấy."))
            except Refusal as refusal:
                return self._refuse(refusal, origin)
            return self._json(status, data, origin)

        def _window(self, path: str) -> None:
            """The agent's own window: same origin only; its calls carry this run's secret."""
            frame_guard = {
                "X-Frame-Options": "DENY",
                "Content-Security-Policy": (
                    "default-src 'none'; script-src 'self'; style-src 'self'; "
                    "connect-src 'self'; img-src 'self'; frame-ancestors 'none'; "
                    "base-uri 'none'; form-action 'none'"
                ),
            }
            if self.command == "GET" and path == "/":
                page = ui.page(agent.secret).encode("utf-8")
                return self._send(200, page, "text/html; charset=utf-8", frame_guard)
            if self.command == "GET" and path == "/ui.js":
                return self._send(
                    200, ui.SCRIPT.encode(), "text/javascript; charset=utf-8", frame_guard
                )
            if self.command == "GET" and path == "/ui.css":
                return self._send(200, ui.STYLE.encode(), "text/css; charset=utf-8", frame_guard)
            if not path.startswith("/ui/"):
                return self._refuse(Refusal(404, "not_found", _("Không tìm thấy.")))
            origin = self.headers.get("Origin")
            same_origin = origin is None or origin in agent.own_origins()
            if self.headers.get("X-Agent-Secret") != agent.secret or not same_origin:
                return self._refuse(Refusal(403, "forbidden", _("Không tìm thấy.")))
            try:
                if self.command == "GET" and path == "/ui/state":
                    query = parse_qs(urlsplit(self.path).query)
                    try:
                        after = int(query.get("after", ["-1"])[0])
                    except ValueError:
                        after = -1
                    status, data = 200, agent.state(after=after)
                elif self.command == "GET" and path == "/ui/certificates":
                    status, data = agent.window_certificates()
                elif self.command == "POST" and path == "/ui/decide":
                    status, data = agent.decide(self._body())
                elif self.command == "POST" and path == "/ui/unpair":
                    body = self._body()
                    agent.pairings.remove(str(body.get("origin")))
                    status, data = 200, {"ok": True}
                else:
                    raise Refusal(404, "not_found", _("Không tìm thấy."))
            except Refusal as refusal:
                return self._refuse(refusal)
            return self._json(status, data)

        def do_GET(self) -> None:
            self._dispatch()

        def do_POST(self) -> None:
            self._dispatch()

        def do_OPTIONS(self) -> None:
            self._dispatch()

    return Handler


class AgentServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False


def make_server(
    *, port: int, tokens: Tokens, config_dir: Path, open_browser: bool = True
) -> tuple[AgentServer, Agent]:
    """Bind 127.0.0.1:`port` (0 for a free one) and build the agent; `serve_forever()` to run."""
    server = AgentServer(("127.0.0.1", port), BaseHTTPRequestHandler)
    agent = Agent(
        tokens=tokens,
        pairings=Pairings(config_dir),
        port=server.server_address[1],
        open_browser=open_browser,
    )
    server.RequestHandlerClass = _handler(agent)
    return server, agent
