"""Seals made at once in several threads of one process (uvicorn runs sync views in threads).

pyHanko's time-stamper keeps asn1crypto objects that parse themselves lazily on first use; two
threads parsing one of them at once corrupt it. With one time-stamper for the process, 16 clerks
issuing at once got a rare 500 ("UTF8String value must be a unicode string, not NoneType").
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import threading
from typing import Any

import pytest
from django.db import connections

from signing import pdf as signing_pdf
from signing import services

from .helpers import field_font, inked

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def _in_threads(work: Any) -> list[Any]:
    """Run `work(n)` in THREADS threads released together; their results or exceptions."""
    barrier = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS

    def run(n: int) -> None:
        barrier.wait()
        try:
            results[n] = work(n)
        except Exception as error:
            results[n] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_each_thread_has_its_own_time_stamper_and_keeps_it():
    # given the time-stamping authority exists
    here = services._timestamper()

    # when several threads ask for it twice
    pairs = _in_threads(lambda _n: (services._timestamper(), services._timestamper()))

    # then each thread gets one of its own, the same both times
    assert all(first is second for first, second in pairs)
    assert len({id(first) for first, _second in pairs} | {id(here)}) == THREADS + 1


def test_time_stamps_made_at_once_in_several_threads_are_all_whole():
    services._timestamper()
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, where the race is
    try:
        for trial in range(4):
            # given no thread has used a time-stamper yet (their objects are not parsed)
            services._local_tsa.cache_clear()

            # when every thread time-stamps a different digest at the same moment
            def stamp(n: int, trial: int = trial) -> Any:
                timestamper = services._timestamper()
                digest = hashlib.sha256(f"{trial}-{n}".encode()).digest()
                asyncio.run(timestamper.async_dummy_response("sha256"))
                token = asyncio.run(timestamper.async_timestamp(digest, "sha256"))
                return token.native["content"]["encap_content_info"]["content"]

            results = _in_threads(stamp)

            # then every token is whole and stamps its own digest
            errors = [r for r in results if isinstance(r, Exception)]
            assert errors == []
            imprints = [r["message_imprint"]["hashed_message"] for r in results]
            assert imprints == [
                hashlib.sha256(f"{trial}-{n}".encode()).digest() for n in range(THREADS)
            ]
    finally:
        sys.setswitchinterval(switch)


@pytest.mark.django_db(transaction=False)
def test_texts_drawn_at_once_in_several_threads_each_embed_their_own_glyphs(plan_pdf):
    # given a plan with its number and date fields, and no font read or cut down yet
    with_fields = signing_pdf.pdf_add_issue_fields(plan_pdf)
    signing_pdf._shared_font.cache_clear()
    signing_pdf._font_subset.cache_clear()
    words = ["Xuân", "Hạ", "Thu", "Đông", "Giáp", "Ất", "Bính", "Quý"][:THREADS]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    rounds = [words, words[1:] + words[:1]]  # the second finds subsets made in the first
    results = []
    try:
        for texts in rounds:
            # when every thread fills in a date of other letters at the same moment, twice
            results.append(
                _in_threads(
                    lambda n, texts=texts: signing_pdf.pdf_issue_preview(
                        with_fields, number_text="12", date_text=f"ngày {texts[n]}"
                    )
                )
            )
    finally:
        sys.setswitchinterval(switch)

    # then each preview's date is drawn with a subset of its own letters (a subset made for
    # another text would lack some and hold others)
    padding = set(signing_pdf.SUBSET_PADDING)
    for texts, previews in zip(rounds, results, strict=True):
        assert [p for p in previews if isinstance(p, Exception)] == []
        drawn = [set(inked(field_font(pdf, signing_pdf.DATE_FIELD))) for pdf in previews]
        assert drawn == [set(f"ngày{word}") | padding for word in texts]
