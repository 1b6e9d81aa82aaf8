"""The signing agent as its own process, with a SoftHSM2 token holding a national-CA-shaped key.

What a web page can and cannot make the agent do (pairing confirmed on the agent's side, the PIN
typed there only, Host and Origin checked, CORS and Private Network Access answered), what the
user sees in the agent's window, and the refusals: a wrong PIN, an unpaired origin, a token
pulled out between the request and the PIN. Then the agent and the server together: a token
enrolled and a PDF signed through the agent, validated trusting only the national root.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from django.db import transaction

from agencies.models import User
from signing import services as signing
from signing.models import SigningDevice, SigningSession

from .agent_process import AgentProcess, PageClient, Window
from .independent import dss_counts, validate_offline
from .national_pki import NationalTestPki
from .softhsm import MODULE, SoftHsm, require_softhsm

ORIGIN = "http://127.0.0.1:8123"
PIN = "246810"
ALGORITHM = "RSA-PKCS1-PREHASHED-SHA256"
_labels = itertools.count(1)


@dataclass
class Token:
    """A SoftHSM2 token with one person's key and certificate (and the CA certificates)."""

    label: str
    certificate: x509.Certificate

    @property
    def id(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex()


def make_token(hsm: SoftHsm, pki: NationalTestPki, common_name: str) -> Token:
    label = f"token-{next(_labels)}"
    hsm.init_token(label, PIN)
    public_key = hsm.generate_key(label, PIN, common_name, b"\x01")
    certificate = pki.issue_person(common_name, public_key)
    hsm.store_certificates(label, PIN, common_name, b"\x01", certificate, pki.chain)
    return Token(label=label, certificate=certificate)


@pytest.fixture(scope="module")
def hsm(tmp_path_factory: pytest.TempPathFactory) -> SoftHsm:
    require_softhsm()
    return SoftHsm(tmp_path_factory.mktemp("person-token"))


@pytest.fixture(scope="module")
def token(hsm: SoftHsm, national_pki: NationalTestPki) -> Token:
    return make_token(hsm, national_pki, "Nguyễn Sơn Hùng")


@pytest.fixture(scope="module")
def agent(
    hsm: SoftHsm, token: Token, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AgentProcess]:
    process = AgentProcess(hsm, tmp_path_factory.mktemp("agent-config"))
    yield process
    process.stop()


@pytest.fixture(scope="module")
def window(agent: AgentProcess) -> Window:
    return agent.window()


@pytest.fixture(scope="module")
def paired(agent: AgentProcess, window: Window) -> PageClient:
    """The page of ORIGIN, paired with the agent (the user agreed in the agent's window)."""
    page = agent.page(ORIGIN)
    with page.posting("/v1/pair", {"code": "482913"}) as answer:
        request = window.wait_for("pair")
        assert request["origin"] == ORIGIN and request["code"] == "482913"
        window.decide(request["id"], approve=True)
    assert answer == {"status": 200, "body": {"paired": True}}
    return page


def sign_request(token: Token, digest: bytes, description: str = "Kế hoạch thử") -> dict[str, Any]:
    return {
        "certificate_id": token.id,
        "digest": base64.b64encode(digest).decode(),
        "algorithm": ALGORITHM,
        "description": description,
    }


def verifies(certificate: x509.Certificate, digest: bytes, signature: bytes) -> bool:
    try:
        certificate.public_key().verify(
            signature, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256())
        )
    except Exception:
        return False
    return True


# WHAT ANY PAGE MAY ASK


def test_any_page_learns_only_that_the_agent_is_there(agent: AgentProcess) -> None:
    # given a page of an origin the user never paired
    page = agent.page("https://trang-la.example")
    # when it asks the status, then it learns the agent is there and it is not paired
    status, headers, body = page.get("/v1/status")
    assert status == 200
    assert body["agent"] == "kehoach-agent" and body["paired"] is False
    assert headers["Access-Control-Allow-Origin"] == "https://trang-la.example"
    # and it can neither list the token's certificates nor ask for a signature
    status, _headers, body = page.get("/v1/certificates")
    assert (status, body["error"]) == (403, "not_paired")
    status, _headers, body = page.post("/v1/sign", {"digest": "AA"})
    assert (status, body["error"]) == (403, "not_paired")
    assert "chưa được ghép nối" in body["detail"]


def test_another_host_name_or_no_origin_is_refused(agent: AgentProcess, paired: PageClient) -> None:
    # a DNS-rebinding page reaches 127.0.0.1 under its own host name
    status, _headers, body = agent.request(
        "GET", "/v1/certificates", headers={"Origin": ORIGIN, "Host": f"evil.example:{agent.port}"}
    )
    assert (status, body["error"]) == (421, "bad_host")
    # a request without Origin (not from a page) gets nothing
    status, _headers, body = agent.request("GET", "/v1/certificates")
    assert (status, body["error"]) == (403, "bad_origin")
    # and the agent's own window is not served under another host name either
    status, _headers, _body = agent.request("GET", "/", headers={"Host": "evil.example"})
    assert status == 421


def test_the_preflight_answers_private_network_access(agent: AgentProcess) -> None:
    # when an https page's browser asks whether it may reach 127.0.0.1
    status, headers, _body = agent.request(
        "OPTIONS",
        "/v1/sign",
        headers={
            "Origin": "https://ubnd.example.gov.vn",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    # then the agent allows JSON posts from that origin, and says so for the private network
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == "https://ubnd.example.gov.vn"
    assert headers["Access-Control-Allow-Private-Network"] == "true"
    assert "Content-Type" in headers["Access-Control-Allow-Headers"]


def test_a_page_cannot_send_a_pin_or_a_form(
    agent: AgentProcess, paired: PageClient, token: Token
) -> None:
    # a page that sends the PIN itself is refused: the PIN is typed in the agent's window
    status, _headers, body = paired.post(
        "/v1/sign", {**sign_request(token, hashlib.sha256(b"x").digest()), "pin": PIN}
    )
    assert (status, body["error"]) == (400, "bad_request")
    # a plain form post (no preflight) is refused too
    status, _headers, body = agent.request(
        "POST",
        "/v1/sign",
        headers={"Origin": ORIGIN, "Content-Type": "text/plain"},
        body=sign_request(token, hashlib.sha256(b"x").digest()),
    )
    assert status == 415


def test_the_agents_window_needs_its_secret_and_its_own_origin(agent: AgentProcess) -> None:
    # another page cannot read what waits for the user, nor answer for them
    status, _headers, _body = agent.request("GET", "/ui/state")
    assert status == 403
    window = agent.window()
    status, _headers, _body = agent.request(
        "POST",
        "/ui/decide",
        headers={"X-Agent-Secret": window.secret, "Origin": "https://trang-la.example"},
        body={"id": "x", "approve": True},
    )
    assert status == 403
    # and the window cannot be framed
    status, headers, _body = agent.request("GET", "/")
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


# PAIRING


def test_pairing_is_confirmed_or_refused_in_the_agents_window(
    agent: AgentProcess, window: Window, tmp_path: Path
) -> None:
    page = agent.page("https://mot-trang-khac.example")
    # when the user refuses the pairing in the agent's window
    with page.posting("/v1/pair", {"code": "111222"}) as answer:
        window.decide(window.wait_for("pair")["id"], approve=False)
    # then the page is told, and stays unpaired
    assert answer["status"] == 403 and answer["body"]["error"] == "refused"
    assert page.get("/v1/status")[2]["paired"] is False
    # when it asks again and the user agrees, then it is paired, and remembered
    with page.posting("/v1/pair", {"code": "333444"}) as answer:
        request = window.wait_for("pair")
        assert request["code"] == "333444"
        window.decide(request["id"], approve=True)
    assert answer == {"status": 200, "body": {"paired": True}}
    assert "https://mot-trang-khac.example" in window.call("GET", "/ui/state")["paired"]
    # and unpairing in the window ends it
    window.call("POST", "/ui/unpair", {"origin": "https://mot-trang-khac.example"})
    assert page.get("/v1/status")[2]["paired"] is False


# CERTIFICATES AND SIGNATURES


def test_a_paired_page_lists_the_tokens_certificate_with_its_chain(
    paired: PageClient, token: Token, national_pki: NationalTestPki
) -> None:
    status, _headers, body = paired.get("/v1/certificates")
    assert status == 200
    (found,) = [c for c in body["certificates"] if c["id"] == token.id]
    assert found["subject"] == "Nguyễn Sơn Hùng"
    assert found["issuer"] == "CA phục vụ các cơ quan Nhà nước (thử nghiệm)"
    assert base64.b64decode(found["certificate"]) == token.certificate.public_bytes(
        serialization.Encoding.DER
    )
    chain = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in found["chain"]]
    assert set(chain) == set(national_pki.chain)


def test_the_user_signs_with_the_pin_typed_in_the_agents_window(
    paired: PageClient, window: Window, token: Token
) -> None:
    digest = hashlib.sha256(b"thuoc tinh duoc ky").digest()
    # when the page asks for a signature
    with paired.posting(
        "/v1/sign", sign_request(token, digest, "Ký số: Kế hoạch chuyển đổi số")
    ) as answer:
        request = window.wait_for("sign")
        # then the window shows who asks, with which certificate, what, and the digest
        assert request["origin"] == ORIGIN
        assert request["certificate"]["subject"] == "Nguyễn Sơn Hùng"
        assert request["description"] == "Ký số: Kế hoạch chuyển đổi số"
        assert request["digest"] == digest.hex()
        # when the user types the PIN there
        assert window.decide(request["id"], approve=True, pin=PIN)["ok"] is True
    # then the page gets a signature the certificate verifies
    assert answer["status"] == 200
    assert verifies(token.certificate, digest, base64.b64decode(answer["body"]["signature"]))


def test_a_wrong_pin_signs_nothing(paired: PageClient, window: Window, token: Token) -> None:
    digest = hashlib.sha256(b"khac").digest()
    with paired.posting("/v1/sign", sign_request(token, digest)) as answer:
        result = window.decide(window.wait_for("sign")["id"], approve=True, pin="000000")
    assert result["ok"] is False and result["error"] == "pin_incorrect"
    assert answer["status"] == 401
    assert answer["body"] == {
        "error": "pin_incorrect",
        "detail": "Mã PIN không đúng; chưa có gì được ký.",
    }


def test_a_refusal_in_the_window_signs_nothing(
    paired: PageClient, window: Window, token: Token
) -> None:
    with paired.posting("/v1/sign", sign_request(token, hashlib.sha256(b"y").digest())) as answer:
        window.decide(window.wait_for("sign")["id"], approve=False)
    assert answer["status"] == 403 and answer["body"]["error"] == "refused"


def test_a_token_pulled_out_before_the_pin_signs_nothing(
    hsm: SoftHsm, national_pki: NationalTestPki, paired: PageClient, window: Window
) -> None:
    # given a second token, plugged in now
    other = make_token(hsm, national_pki, "Nguyễn Sơn Hùng")
    digest = hashlib.sha256(b"z").digest()
    # when the page asks, and the token is pulled out while the user types the PIN
    with paired.posting("/v1/sign", sign_request(other, digest)) as answer:
        request = window.wait_for("sign")
        hsm.delete_token(other.label)
        result = window.decide(request["id"], approve=True, pin=PIN)
    # then both the window and the page say so, and there is no signature
    assert result["error"] == "token_removed"
    assert answer["status"] == 503
    assert answer["body"]["error"] == "token_removed"
    assert "rút ra" in answer["body"]["detail"]
    # and asking again finds no such certificate
    status, _headers, body = paired.post("/v1/sign", sign_request(other, digest))
    assert (status, body["error"]) == (404, "certificate_not_found")


# THE AGENT AND THE SERVER TOGETHER


def _through_agent(page: PageClient, window: Window, body: dict[str, Any]) -> bytes:
    with page.posting("/v1/sign", body) as answer:
        window.decide(window.wait_for("sign")["id"], approve=True, pin=PIN)
    assert answer["status"] == 200, answer
    return base64.b64decode(answer["body"]["signature"])


@pytest.mark.django_db
def test_a_token_is_enrolled_and_signs_a_pdf_through_the_agent(
    signer: User,
    national_ca: NationalTestPki,
    paired: PageClient,
    window: Window,
    token: Token,
    plan_pdf: bytes,
    settings: Any,
) -> None:
    settings.SIGNING_TSA_URL = national_ca.tsa_url
    # given what the agent lists on the token
    (listed,) = [
        c for c in paired.get("/v1/certificates")[2]["certificates"] if c["id"] == token.id
    ]
    # when the page enrols it: the token signs SHA-256 of the server's nonce
    nonce = bytes(signing.enrolment_challenge_create(user=signer).nonce)
    proof = _through_agent(
        paired,
        window,
        {**sign_request(token, hashlib.sha256(nonce).digest()), "purpose": "enrol"},
    )
    device = signing.token_device_enrol(
        user=signer,
        label="",
        certificate=base64.b64decode(listed["certificate"]),
        chain=[base64.b64decode(c) for c in listed["chain"]],
        nonce=nonce,
        proof=proof,
    )
    assert device.kind == SigningDevice.Kind.TOKEN and device.status == "active"
    # when the server prepares a signature and the token signs its digest through the agent
    pending = signing.signing_session_prepare(
        user=signer,
        device_id=device.pk,
        pdf=plan_pdf,
        position_line="PHÓ CHỦ TỊCH",
        document_id=1,
        version_id=1,
        version_number=1,
        content_sha256="0" * 64,
    )
    value = _through_agent(paired, window, sign_request(token, pending.to_be_signed))
    with transaction.atomic():
        session = signing.signing_session_get(session_id=pending.session.id, user=signer)
        signed = signing.signing_session_finish(session=session, signature=value)
    # then the PDF is PAdES B-LT and pyHanko alone, trusting only the national root, finds it valid
    assert dss_counts(signed)["ocsps"] >= 1
    (status,) = validate_offline(signed, national_ca.root.certificate).values()
    assert status.bottom_line, status.pretty_print_details()
    assert status.signing_cert.subject.native["common_name"] == "Nguyễn Sơn Hùng"
    assert SigningSession.objects.get().used_at is not None


def test_the_agents_window_is_translated(hsm: SoftHsm, token: Token, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kehoach_agent",
            "--port",
            "0",
            "--module",
            MODULE,
            "--config-dir",
            str(tmp_path),
            "--no-browser",
            "--lang",
            "en",
        ],
        env=hsm.env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        url = line.split("listening on ")[1].strip()
        with urllib.request.urlopen(url) as response:
            page = response.read().decode()
        assert "Signing agent" in page and "The PIN is entered only here" in page
        texts = json.loads(page.split('id="texts">')[1].split("</script>")[0])
        assert texts["Mã PIN của USB token"] == "USB token PIN"
    finally:
        process.terminate()
        process.wait(10)
