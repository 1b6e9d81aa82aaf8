"""Recognition benchmark: how well the importer reads real plans. `python -m bench.recognition`.

For every document of the corpus (tests/corpus: real plans, decisions and letters of several
provinces, each with a hand-checked expected structure), it imports the clean Word file and its
degraded twins (tests/corpus/degrade.py: an OCR'd scan, tasks moved into tables) and compares the
result with the expected structure. Per document and overall it reports precision (P) and recall
(R) of:

- tasks (matched by title), lead units (of each task), reporting deadlines, legal bases,
  recipients ("Nơi nhận"), the signer (signing form, position, name), the section tree (titled
  parts and their depth), the header (number, place, date);
- word recall: the share of the document's words found somewhere in the result (content, lines
  kept as unplaced, header lines read), after dropping list markers that the renderer writes
  itself ("II.", "1.", "a)", "-").

Figures, not pass/fail (tests/documents/test_recognition_corpus.py holds the goals). Options:
`--doc ID` one document, `--clean` / `--degraded` one set, `--json FILE` the figures as JSON,
`--scan` also the image-only PDF of the seed through OCR (tests/corpus/scan.py; about two seconds
a page); `--pdf` instead the clean files printed to PDF (LibreOffice, read from the text layer),
`--scan-all` printed and scanned (every page through OCR: minutes; `--noisy`: pages turned,
blurred and specked as by a worn scanner).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
MEASURES = (
    "tasks",
    "lead",
    "deadlines",
    "legal_bases",
    "recipients",
    "signer",
    "sections",
    "header",
)
#: Reported, with no goal (coordinating units and timelines are written in many ways).
EXTRA = ("coordinating", "timeline")


# ---------------------------------------------------------------------------------------------
# Comparing texts


def norm(text: str) -> str:
    """Lower case, no diacritics, punctuation as spaces: the key texts are compared on."""
    text = unicodedata.normalize("NFD", text or "").replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn").lower()
    return re.sub(r"[^0-9a-z]+", " ", text).strip()


def similarity(a: str, b: str) -> float:
    """1.0 for the same text; high for the same text with OCR noise or a cut-off end."""
    a, b = norm(a)[:240], norm(b)[:240]
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) >= 24 and longer.startswith(shorter):
        return 0.95
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < 0.6 or matcher.quick_ratio() < 0.6:
        return 0.0
    return matcher.ratio()


def match(expected: list[str], found: list[str], threshold: float = 0.82) -> list[tuple[int, int]]:
    """Pairs (expected index, found index), best first, each item used once."""
    scores = []
    for i, a in enumerate(expected):
        for j, b in enumerate(found):
            score = similarity(a, b)
            if score >= threshold:
                scores.append((score, i, j))
    pairs, used_e, used_f = [], set(), set()
    for _score, i, j in sorted(scores, reverse=True):
        if i not in used_e and j not in used_f:
            pairs.append((i, j))
            used_e.add(i)
            used_f.add(j)
    return sorted(pairs)


@dataclass
class Count:
    """Matches over what was found (precision) and over what was expected (recall)."""

    correct: int = 0
    found: int = 0
    expected: int = 0

    def add(self, other: Count) -> None:
        self.correct += other.correct
        self.found += other.found
        self.expected += other.expected

    @property
    def precision(self) -> float | None:
        return self.correct / self.found if self.found else (None if not self.expected else 0.0)

    @property
    def recall(self) -> float | None:
        return self.correct / self.expected if self.expected else None


# ---------------------------------------------------------------------------------------------
# Reading the importer's result


def result_tasks(content: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def walk(blocks: list[dict[str, Any]]) -> None:
        for block in blocks:
            out.extend(block.get("tasks", []))
            walk(block.get("children", []))

    walk(content.get("sections", []))
    for appendix in content.get("appendices", []):
        walk(appendix.get("sections", []))
    return out


def _heading_like(title: str) -> bool:
    title = title.strip()
    return bool(title) and len(title) <= 220 and not title.endswith((".", ";"))


def tree_items(sections: list[dict[str, Any]], *, decision: bool = False) -> list[str]:
    """ "depth|title" of every titled part (headings only: a numbered sentence is text)."""
    if decision:
        return [f"0|Điều {index}" for index in range(1, len(sections) + 1)]
    out: list[str] = []

    def walk(blocks: list[dict[str, Any]], depth: int) -> None:
        for block in blocks:
            title = block.get("title", "")
            if _heading_like(title):
                out.append(f"{depth}|{title}")
            walk(block.get("children", []), depth + 1)

    walk(sections, 0)
    return out


def _depth_title(item: str) -> tuple[str, str]:
    depth, _, title = item.partition("|")
    return depth, title


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


_MARKER = re.compile(
    r"^\s*(?:\d+(?:\.\d+)*\s*[.)]|[IVXLivxl1|]+\s*[.)]|[a-zđ]\s*\)|Điều\s+\d+\s*\.|[-+•*])\s*"
)


def words(lines: Iterable[str], *, markers: bool = False) -> Counter[str]:
    """The words of `lines`, in lower case; `markers`: drop the list markers the renderer
    writes itself ("II.", "1.1.", "a)", "-") at the start of each line first."""
    counter: Counter[str] = Counter()
    for line in lines:
        line = unicodedata.normalize("NFC", line)
        if markers:
            line = _MARKER.sub("", line)
            if re.fullmatch(r"\s*(?:\d{1,3}|[IVXL]{1,5})\s*[.)]?\s*", line):
                continue  # the "STT" cell of a table row
        counter.update(w.lower() for w in re.findall(r"\w+", line))
    return counter


def docx_lines(data: bytes) -> list[str]:
    """Every paragraph of the file, tables included, as a reader sees it."""
    import io

    import docx
    from docx.oxml.ns import qn

    document = docx.Document(io.BytesIO(data))
    out = []
    for p in document.element.body.iter(qn("w:p")):
        text = "".join(t.text or "" for t in p.iter(qn("w:t")))
        out.extend(part for part in re.split(r"[\n\v]", text) if part.strip())
    return out


# ---------------------------------------------------------------------------------------------
# Scoring one document


@dataclass
class Score:
    counts: dict[str, Count] = field(
        default_factory=lambda: {m: Count() for m in (*MEASURES, *EXTRA)}
    )
    words_found: int = 0
    words_total: int = 0
    seconds: float = 0.0
    needs_review: bool = False

    def add(self, other: Score) -> None:
        for name, count in other.counts.items():
            self.counts[name].add(count)
        self.words_found += other.words_found
        self.words_total += other.words_total
        self.seconds += other.seconds

    @property
    def word_recall(self) -> float | None:
        return self.words_found / self.words_total if self.words_total else None


def _list_count(expected: list[str], found: list[str], threshold: float = 0.82) -> Count:
    return Count(len(match(expected, found, threshold)), len(found), len(expected))


def _lead_key(names: list[str]) -> str:
    return "; ".join(sorted(names, key=norm))


def _unit_names(units: list[Any]) -> list[str]:
    return [u["name"] if isinstance(u, dict) else str(u) for u in units]


def score_tasks(expected: list[dict[str, Any]], found: list[dict[str, Any]], score: Score) -> None:
    pairs = match([t["title"] for t in expected], [t["title"] for t in found])
    counts = score.counts
    counts["tasks"].add(Count(len(pairs), len(found), len(expected)))
    lead = Count(
        found=sum(1 for t in found if t.get("lead_units")),
        expected=sum(1 for t in expected if t["lead"]),
    )
    coordinating = Count(
        found=sum(1 for t in found if t.get("coordinating_units")),
        expected=sum(1 for t in expected if t.get("coordinating")),
    )
    timeline = Count(
        found=sum(1 for t in found if t.get("timeline")),
        expected=sum(1 for t in expected if t.get("timeline")),
    )
    for i, j in pairs:
        want, got = expected[i], found[j]
        if (
            want["lead"]
            and similarity(
                _lead_key(want["lead"]), _lead_key(_unit_names(got.get("lead_units", [])))
            )
            >= 0.8
        ):
            lead.correct += 1
        if (
            want.get("coordinating")
            and similarity(
                _lead_key(want["coordinating"]),
                _lead_key(_unit_names(got.get("coordinating_units", []))),
            )
            >= 0.8
        ):
            coordinating.correct += 1
        if want.get("timeline") and similarity(want["timeline"], got.get("timeline", "")) >= 0.8:
            timeline.correct += 1
    if any(t.get("coordinating") is None for t in expected):
        # Tasks whose coordinating units are not judged (a sentence names them) are left out.
        coordinating.found -= sum(
            1
            for i, j in pairs
            if expected[i].get("coordinating") is None and found[j].get("coordinating_units")
        )
    counts["lead"].add(lead)
    counts["coordinating"].add(coordinating)
    counts["timeline"].add(timeline)


def score_deadlines(expected: list[dict[str, str]], found: list[dict[str, str]]) -> Count:
    count = Count(found=len(found), expected=len(expected))
    used: set[int] = set()
    for want in expected:
        for j, got in enumerate(found):
            if j in used:
                continue
            same_date = want["due_date"] and want["due_date"] == got.get("due_date")
            text = norm(got.get("text", ""))
            if (
                same_date
                or norm(want["text"]) in text
                or similarity(want["text"], got.get("text", "")) >= 0.7
            ):
                used.add(j)
                count.correct += 1
                break
    return count


def score_fields(expected: dict[str, str], found: dict[str, str], keys: tuple[str, ...]) -> Count:
    count = Count()
    for key in keys:
        want, got = (expected.get(key) or "").strip(), (found.get(key) or "").strip()
        count.expected += bool(want)
        count.found += bool(got)
        if want and got and (norm(want) == norm(got) or similarity(want, got) >= 0.85):
            count.correct += 1
    return count


def signer_fields(signature: dict[str, str]) -> dict[str, str]:
    """The signing form and the signer: "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", the name. The collective
    of TM. is printed by the renderer from the issuer, so it is compared with the form."""
    authority = signature.get("authority", "")
    form = f"{authority} {signature.get('deputy_for') or signature.get('collective') or ''}".strip()
    return {
        "form": form if authority else "",
        "position": signature.get("position", ""),
        "name": signature.get("signer_name", ""),
    }


def score_document(
    expected: dict[str, Any], data: bytes, *, pdf: bool = False, original: bytes | None = None
) -> Score:
    """The figures of one file (a PDF when `pdf`; its words are counted from `original`, the
    Word file it was printed from)."""
    from documents import importing
    from tests.documents.seeds import DIRECTORY

    start = time.perf_counter()
    reader = importing.import_plan_pdf if pdf else importing.import_plan_docx
    result = reader(data, directory=DIRECTORY, place="Đồng Nai")
    score = Score(seconds=time.perf_counter() - start, needs_review=result.needs_review)
    content, source = result.content, result.source
    counts = score.counts
    score_tasks(expected["tasks"], result_tasks(content), score)
    counts["deadlines"].add(
        score_deadlines(expected["reporting_deadlines"], content.get("reporting_deadlines", []))
    )
    counts["legal_bases"].add(_list_count(expected["legal_bases"], content.get("legal_bases", [])))
    recipients = content.get("recipients", {})
    found_recipients = _unit_names(recipients.get("units", [])) + list(recipients.get("lines", []))
    counts["recipients"].add(_list_count(expected["recipients"], found_recipients))
    counts["signer"].add(
        score_fields(
            signer_fields(expected["signature"]),
            signer_fields(content.get("signature", {})),
            ("form", "position", "name"),
        )
    )
    decision = expected["doc_type"] == "QĐ"
    want_tree = tree_items(expected["sections"], decision=decision)
    for appendix in expected.get("appendices", []):
        want_tree += [f"A|{title}" for title in appendix["sections"]]
    got_tree = tree_items(content.get("sections", []), decision=decision)
    for appendix in content.get("appendices", []):
        got_tree += [
            f"A|{b.get('title', '')}" for b in appendix.get("sections", []) if b.get("title")
        ]
    counts["sections"].add(_tree_count(want_tree, got_tree))
    header = {
        "number": f"{source.get('number', '')}/{source['symbol']}" if source.get("symbol") else "",
        "place": source.get("place", ""),
        "date": source.get("date", ""),
    }
    want_header = {**expected["header"], "number": re.sub(r"\s+", "", expected["header"]["number"])}
    counts["header"].add(score_fields(want_header, header, ("number", "place", "date")))
    document_words = words(docx_lines(original or data), markers=True)
    result_words = words([*strings(content), *result.unplaced, *strings(source)])
    score.words_total = sum(document_words.values())
    score.words_found = sum(min(n, result_words[w]) for w, n in document_words.items())
    return score


def _tree_count(expected: list[str], found: list[str]) -> Count:
    count = Count(found=len(found), expected=len(expected))
    used: set[int] = set()
    for item in expected:
        depth, title = _depth_title(item)
        for j, other in enumerate(found):
            other_depth, other_title = _depth_title(other)
            if j not in used and depth == other_depth and similarity(title, other_title) >= 0.82:
                used.add(j)
                count.correct += 1
                break
    return count


# ---------------------------------------------------------------------------------------------
# The corpus


def corpus() -> list[dict[str, Any]]:
    return [
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((CORPUS / "expected").glob("*.json"))
    ]


def variants(expected: dict[str, Any]) -> Iterator[tuple[str, bytes]]:
    """("clean", bytes), then the degraded twins ("ocr", …), ("table", …)."""
    from tests.corpus.degrade import ocr_twin, twins

    data = (ROOT / expected["file"]).read_bytes()
    yield "clean", data
    yield "ocr", ocr_twin(data, expected["id"])
    yield from twins(expected["id"], expected["tasks"]).items()


def evaluate(
    *, only: str | None = None, sets: tuple[str, ...] = ("clean", "degraded")
) -> dict[str, Any]:
    """Scores per document and variant, and overall per set ("clean", "degraded")."""
    rows: list[tuple[str, str, Score]] = []
    totals = {name: Score() for name in sets}
    for expected in corpus():
        if only and expected["id"] != only:
            continue
        for variant, data in variants(expected):
            group = "clean" if variant == "clean" else "degraded"
            if group not in sets:
                continue
            score = score_document(expected, data)
            rows.append((expected["id"], variant, score))
            totals[group].add(score)
    return {"rows": rows, "totals": totals}


def figures(score: Score) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, count in score.counts.items():
        out[name] = {"precision": count.precision, "recall": count.recall}
    out["words"] = {"recall": score.word_recall}
    return out


def _pct(value: float | None) -> str:
    return "   –  " if value is None else f"{100 * value:5.1f}%"


def print_table(result: dict[str, Any]) -> None:
    measures = (*MEASURES, *EXTRA)
    head = (
        "| document | variant | " + " | ".join(f"{m} P / R" for m in measures) + " | words R | ms |"
    )
    print(head)
    print("|" + "---|" * (len(measures) + 4))
    for doc, variant, score in result["rows"]:
        cells = [
            f"{_pct(score.counts[m].precision)} / {_pct(score.counts[m].recall)}" for m in measures
        ]
        print(
            f"| {doc} | {variant} | "
            + " | ".join(cells)
            + f" | {_pct(score.word_recall)} | {1000 * score.seconds:6.0f} |"
        )
    print()
    for group, score in result["totals"].items():
        print(f"Overall, {group}:")
        for m in measures:
            count = score.counts[m]
            print(
                f"  {m:<13} P {_pct(count.precision)}  R {_pct(count.recall)}  ({count.correct}/{count.found} found, {count.correct}/{count.expected} expected)"
            )
        print(f"  {'words':<13} R {_pct(score.word_recall)}")


def pdf_variants(*, only: str | None, scanned: bool, noisy: bool = False) -> dict[str, Any]:
    """The clean Word files printed to PDF by LibreOffice (read from the text layer), or also
    rasterised (`scanned`: read by OCR; `noisy`: turned, blurred and specked as a worn scanner
    does), scored like the Word files."""
    from documents.conversion import docx_to_pdf
    from tests.corpus.scan import image_pdf

    rows: list[tuple[str, str, Score]] = []
    total = Score()
    pages = 0
    for expected in corpus():
        if only and expected["id"] != only:
            continue
        original = (ROOT / expected["file"]).read_bytes()
        data = docx_to_pdf(original)
        if scanned:
            data, count = image_pdf(data, noisy=noisy)
            pages += count
        score = score_document(expected, data, pdf=True, original=original)
        rows.append((expected["id"], "scan" if scanned else "pdf", score))
        total.add(score)
    return {"rows": rows, "totals": {"scan" if scanned else "pdf": total}, "pages": pages}


def scan_seed() -> None:
    """The seed printed to an image-only PDF and read back through OCR."""
    from tests.corpus.scan import scanned_seed

    expected = json.loads((CORPUS / "expected" / "dongnai-262-KH-UBND-2023.json").read_text())
    data, pages = scanned_seed()
    original = (ROOT / expected["file"]).read_bytes()
    score = score_document(expected, data, pdf=True, original=original)
    print(
        f"\nScanned seed ({pages} pages, image only): OCR and import {score.seconds:.1f} s, "
        f"{score.seconds / pages:.1f} s a page"
    )
    for m in MEASURES:
        count = score.counts[m]
        print(f"  {m:<13} P {_pct(count.precision)}  R {_pct(count.recall)}")
    print(f"  {'words':<13} R {_pct(score.word_recall)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doc")
    parser.add_argument("--clean", action="store_true")
    parser.add_argument("--degraded", action="store_true")
    parser.add_argument("--json")
    parser.add_argument("--scan", action="store_true")
    parser.add_argument("--pdf", action="store_true")
    parser.add_argument("--scan-all", action="store_true")
    parser.add_argument("--noisy", action="store_true")
    args = parser.parse_args(argv)
    if args.pdf or args.scan_all:
        result = pdf_variants(only=args.doc, scanned=args.scan_all, noisy=args.noisy)
        print_table(result)
        if result["pages"]:
            seconds = sum(score.seconds for _doc, _variant, score in result["rows"])
            print(f"  OCR and import: {seconds:.1f} s for {result['pages']} pages")
        return
    sets: tuple[str, ...] = ("clean", "degraded")
    if args.clean != args.degraded:
        sets = ("clean",) if args.clean else ("degraded",)
    result = evaluate(only=args.doc, sets=sets)
    print_table(result)
    if args.json:
        data = {group: figures(score) for group, score in result["totals"].items()}
        data["documents"] = [
            {"id": doc, "variant": variant, **figures(score)}
            for doc, variant, score in result["rows"]
        ]
        Path(args.json).write_text(json.dumps(data, indent=1, ensure_ascii=False))
    if args.scan:
        scan_seed()


if __name__ == "__main__":
    main(sys.argv[1:])
