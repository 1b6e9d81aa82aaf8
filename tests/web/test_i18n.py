"""The interface in Vietnamese by default and in English on request: Accept-Language, the footer's
language switcher (set_language), the JavaScript catalogue, and a complete, compiled catalogue."""

from __future__ import annotations

import ast
import gettext
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

LC_MESSAGES = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"
DOMAINS = ["django", "djangojs"]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_urls(settings: Any) -> Iterator[None]:
    """The site's own URLs (overrides tests/web/conftest.py): they mount /i18n/setlang/."""
    settings.ROOT_URLCONF = "config.urls"
    yield
    translation.deactivate()  # a request in English must not leave English active


def page(response: Any) -> str:
    assert response.status_code == 200
    return response.content.decode()


def switch_language(client: Client, language: str, next_url: str) -> None:
    """What the footer's language switcher does."""
    response = client.post(reverse("set_language"), {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url


# -- Pages ----------------------------------------------------------------------------------------


def test_login_page_is_vietnamese_by_default(db):
    # when an anonymous visitor opens the login page without saying which language they read
    html = page(Client().get(reverse("login")))
    # then it is in Vietnamese
    assert "<title>Đăng nhập" in html
    assert "Tên đăng nhập" in html
    assert "Sign in" not in html
    # and the footer offers English, posting to set_language with the CSRF token and `next`
    switcher = re.search(r'<form[^>]*class="[^"]*language-switcher.*?</form>', html, re.S)
    assert switcher, "no language switcher in the footer"
    form = switcher.group(0)
    assert f'action="{reverse("set_language")}"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert f'name="next" value="{reverse("login")}"' in form
    assert 'name="language" value="en"' in form and "English" in form
    assert '<strong lang="vi" aria-current="true">Tiếng Việt</strong>' in form


def test_login_page_is_english_for_an_english_browser(db):
    # when the browser asks for English
    html = page(Client().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en"))
    # then the page is in English, and the switcher offers Vietnamese
    assert "<title>Sign in" in html
    assert "Username" in html
    assert "Password" in html
    assert "Đăng nhập" not in html
    assert "Hộp việc" not in html
    assert 'name="language" value="vi"' in html
    assert '<strong lang="en" aria-current="true">English</strong>' in html


def test_an_anonymous_visitor_switches_the_login_page_to_english(db):
    # given an anonymous visitor on the Vietnamese login page
    client = Client()
    assert "Đăng nhập" in page(client.get(reverse("login")))
    # when they choose English in the footer
    switch_language(client, "en", reverse("login"))
    # then the login page is in English
    html = page(client.get(reverse("login")))
    assert "Sign in" in html
    assert "Đăng nhập" not in html


def test_inbox_is_vietnamese_by_default(org, client_for):
    html = page(client_for(org.drafter).get(reverse("home")))
    assert "<h1>Hộp việc</h1>" in html
    assert "Dự thảo của tôi" in html
    assert "Chuyên viên soạn thảo" in html
    assert "Inbox" not in html


def test_inbox_is_english_for_an_english_browser(org, client_for):
    html = page(client_for(org.drafter).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "<h1>Inbox</h1>" in html
    assert "Create a new plan" in html
    assert "My drafts" in html
    assert "Sign out" in html
    assert "Drafting officer" in html  # the role, a model choice
    assert "Hộp việc" not in html


def test_a_user_switches_the_inbox_to_english_and_back(org, client_for):
    # given a logged-in drafter on the Vietnamese inbox
    client = client_for(org.drafter)
    assert "Hộp việc" in page(client.get(reverse("home")))
    # when they choose English
    switch_language(client, "en", reverse("home"))
    # then the inbox is in English, even though the browser prefers Vietnamese
    html = page(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="vi"))
    assert "<h1>Inbox</h1>" in html
    assert "Hộp việc" not in html
    # and when they choose Vietnamese again, it is in Vietnamese
    switch_language(client, "vi", reverse("home"))
    html = page(client.get(reverse("home")))
    assert "<h1>Hộp việc</h1>" in html
    assert "Inbox" not in html


def test_javascript_catalogue_follows_the_language(db):
    english = page(Client().get(reverse("javascript-catalog"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Move up" in english  # editor.js: t("Chuyển lên")
    assert "There are unsaved changes." in english
    vietnamese = page(Client().get(reverse("javascript-catalog")))
    assert "Move up" not in vietnamese


# -- The catalogue --------------------------------------------------------------------------------


def _unquote(line: str) -> str:
    """The text of one quoted PO string (escapes as in C, which Python's parser reads the same)."""
    return ast.literal_eval(line)


def read_po(path: Path) -> list[dict[str, Any]]:
    """The entries of a .po file, header and obsolete (#~) entries left out.

    Each: {"msgctxt", "msgid", "msgid_plural", "msgstr": {index: text}, "flags": set}.
    """
    entries: list[dict[str, Any]] = []
    entry: dict[str, Any] = {}
    field: tuple[str, Any] | None = None

    def finish() -> None:
        if "msgid" in entry and entry["msgid"] != "":
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if "msgid" in entry:
                finish()
                entry = {}
            entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            assert field is not None, f"{path}: a continuation line without a keyword: {raw}"
            name, index = field
            if name == "msgstr":
                entry["msgstr"][index] += _unquote(line)
            else:
                entry[name] += _unquote(line)
            continue
        match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if keyword in ("msgctxt", "msgid") and "msgstr" in entry:
            finish()  # a new entry starts
            entry = {}
        if match or keyword == "msgstr":
            index = int(match.group(1)) if match else 0
            entry.setdefault("msgstr", {})[index] = _unquote(rest)
            field = ("msgstr", index)
        elif keyword in ("msgctxt", "msgid", "msgid_plural"):
            entry[keyword] = _unquote(rest)
            field = (keyword, None)
        else:
            raise AssertionError(f"{path}: unexpected line: {raw}")
    finish()
    for e in entries:
        e.setdefault("flags", set())
        e.setdefault("msgctxt", None)
        e.setdefault("msgid_plural", None)
    return entries


PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_message_is_translated_and_not_fuzzy(domain):
    po = LC_MESSAGES / f"{domain}.po"
    entries = read_po(po)
    assert len(entries) > 100, f"{po} is nearly empty"
    header = po.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "#, fuzzy" not in header, f"{po}: the header is still marked fuzzy"
    problems = []
    for e in entries:
        texts = list(e["msgstr"].values())
        if "fuzzy" in e["flags"]:
            problems.append(f"fuzzy: {e['msgid']!r}")
        if not texts or any(not t.strip() for t in texts):
            problems.append(f"untranslated: {e['msgid']!r}")
        if e["msgid_plural"] and sorted(e["msgstr"]) != [0, 1]:
            problems.append(f"plural forms: {e['msgid']!r}")
        for text in texts:
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(e["msgid"])):
                problems.append(f"placeholders differ: {e['msgid']!r} → {text!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("domain", DOMAINS)
def test_compiled_catalogue_matches_the_po_file(domain):
    # the .mo files are committed: they must be compiled from the current .po files
    # (`make messages` runs compilemessages)
    with (LC_MESSAGES / f"{domain}.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    stale = []
    for e in read_po(LC_MESSAGES / f"{domain}.po"):
        key = f"{e['msgctxt']}\x04{e['msgid']}" if e["msgctxt"] else e["msgid"]
        if e["msgid_plural"]:
            compiled = {i: catalog.get((key, i)) for i in e["msgstr"]}
        else:
            compiled = {0: catalog.get(key)}
        if compiled != e["msgstr"]:
            stale.append(e["msgid"])
    assert not stale, f"{domain}.mo is not compiled from {domain}.po; run `make messages`: {stale}"


def test_the_document_stays_vietnamese_in_the_english_interface(org, plan, client_for):
    # given the drafter's interface in English
    client = client_for(org.drafter)
    # when they open the plan page
    response = client.get(reverse("plan-detail", args=[plan.pk]), HTTP_ACCEPT_LANGUAGE="en")
    # then the interface is English but the document itself reads as issued, in Vietnamese
    text = page(response)
    assert '<html lang="en">' in response.content.decode()
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "SOCIALIST REPUBLIC" not in text
