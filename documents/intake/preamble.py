"""What stands between the title and the first section: the legal bases ("Căn cứ …", "Thực hiện
…"), a Quyết định's proposer ("Theo đề nghị của …") and the enacting sentence (the preamble:
"Ủy ban nhân dân tỉnh ban hành Kế hoạch … như sau:").

Drafters often write it all in one paragraph: "Thực hiện A; B; C; UBND tỉnh ban hành Kế hoạch
… như sau:" holds three bases and the preamble; "Thực hiện A. Để tiếp tục …, UBND tỉnh phát
động … như sau:" holds one basis and the preamble. The bases are split where a new document is
named after ";", and the enacting sentence is kept apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .text import Rx, sentences

BASIS = Rx(r"^\s*(?:can cu|thuc hien|xet|theo de nghi)\b")
PROPOSER = Rx(r"^\s*(?:xet|theo)\s+de nghi\s+cua\s+(.*)$")
#: Where the enacting clause starts: the issuer (UBND, Chủ tịch…) that "ban hành" the plan.
_ENACTING = re.compile(
    r"(?:^|[,;.]\s*)((?:uy ban nhan(?: dan)?|ubnd|chu tich|hoi dong nhan dan|ban chi dao)\b"
    r"[^.;]{0,160}?\b(?:ban hanh|phat dong|xay dung|trien khai)\b)"
)
#: After ";", a new basis names a document: "…; Nghị định số 278/2025/NĐ-CP …".
_NEXT_BASIS = Rx(
    r"^\s*(?:can cu|thuc hien|xet|nghi quyet|nghi dinh|quyet dinh|chi thi|ke hoach|thong tu|luat"
    r"|cong van|van ban|chuong trinh|ket luan|huong dan|thong bao|bo luat|phap lenh|de an)\b"
)


@dataclass
class Preamble:
    legal_bases: list[str] = field(default_factory=list)
    proposer: str = ""
    proposer_label: str = ""  # "Theo đề nghị của"
    preamble: list[str] = field(default_factory=list)


def split_preamble(paragraphs: list[str], *, decision: bool = False) -> Preamble:
    """Legal bases, proposer and preamble of the paragraphs before the first section."""
    out = Preamble()
    for text in paragraphs:
        if out.preamble or not BASIS.match(text):
            out.preamble.append(text)
            continue
        if decision and (found := PROPOSER.match(text)):
            out.proposer = (found.group(1) or "").strip().rstrip(" .;,")
            out.proposer_label = text[: found.start(1)].strip()
            continue
        bases, rest = _split_paragraph(text)
        out.legal_bases.extend(bases)
        if rest:
            out.preamble.append(rest)
    return out


def _split_paragraph(text: str) -> tuple[list[str], str]:
    """(the bases, the rest) of a paragraph that opens with a basis."""
    parts = sentences(text)
    basis_sentences: list[str] = []
    rest: list[str] = []
    for sentence in parts:
        if rest or (basis_sentences and not BASIS.match(sentence)):
            rest.append(sentence)
            continue
        head, tail = _enacting_split(sentence)
        basis_sentences.append(head)
        if tail:
            rest.append(tail)
    bases = [b for sentence in basis_sentences for b in _split_bases(sentence)]
    return bases, " ".join(rest).strip()


def _enacting_split(sentence: str) -> tuple[str, str]:
    """ "Thực hiện A, UBND tỉnh ban hành Kế hoạch … như sau:" → ("Thực hiện A", "UBND tỉnh …")."""
    from .text import plain

    folded = plain(sentence)
    if not re.search(r"(?:nhu sau|sau)\s*:\s*$|nhu sau\s*$", folded):
        return sentence, ""
    found = None
    for match in _ENACTING.finditer(folded):
        if match.start(1) > 0:
            found = match
    if found is None:
        return sentence, ""
    return sentence[: found.start(1)].rstrip(" ,;."), sentence[found.start(1) :].strip()


def _split_bases(sentence: str) -> list[str]:
    """ "Thực hiện A; Nghị định B; Quyết định C" → three bases; a ";" inside a title stays."""
    pieces: list[str] = []
    for piece in re.split(r";\s+", sentence):
        if pieces and not _NEXT_BASIS.match(piece):
            pieces[-1] = f"{pieces[-1]}; {piece}"
        else:
            pieces.append(piece)
    return [p.strip().rstrip(" ;.,") for p in pieces if p.strip(" ;.,")]
