"""The end of a plan: the closing ("Trên đây là …"), "Nơi nhận" and the signature block."""

from __future__ import annotations

from typing import Any

from ..content import SignatureBlock
from .blocks import BlockWriter
from .directory import UnitDirectory
from .grammar import ARCHIVE, AUTHORITY, BULLET, RECIPIENTS, split_bullet
from .lines import Line
from .text import Notes, is_upper


class FooterReader:
    """Reads the footer lines into closing, recipients and signature."""

    def __init__(
        self, directory: UnitDirectory, notes: Notes, source: dict[str, Any], units: BlockWriter
    ) -> None:
        self.directory = directory
        self.notes = notes
        self.source = source
        self.units = units

    def read(self, lines: list[Line]) -> dict[str, Any]:
        """Closing ("Trên đây là …"), "Nơi nhận" and the signature block."""
        closing: list[str] = []
        recipients: dict[str, Any] = {"units": [], "lines": [], "archive": "Lưu: VT."}
        signature_lines: list[str] = []
        state = "closing"
        for line in lines:
            text = line.text
            if match := RECIPIENTS.match(text):
                rest = (match.group(1) or "").strip()
                if not rest or BULLET.match(rest):
                    self.source["labels"].append(text[: len(text) - len(rest)].strip())
                    state = "recipients"
                    if not rest:
                        continue
                    text = rest
            if state == "closing":
                if AUTHORITY.match(text) and is_upper(text):
                    state = "signature"
                else:
                    closing.append(text)
                    continue
            if state == "recipients":
                bullet, rest = split_bullet(text)
                if match := ARCHIVE.match(rest):
                    archive = (match.group(1) or "").strip().rstrip(" .;,")
                    recipients["archive"] = f"Lưu: {archive}." if archive else "Lưu: VT."
                    state = "signature"
                    continue
                if bullet or text.endswith(";"):
                    self._recipient(rest, recipients)
                    continue
                state = "signature"
            signature_lines.append(text)
        return {
            "closing": "\n".join(closing),
            "recipients": recipients,
            "signature": self._signature(signature_lines),
        }

    def _recipient(self, text: str, recipients: dict[str, Any]) -> None:
        name = text.strip().rstrip(" ;.,").strip()
        if not name:
            return
        found = self.directory.lookup(name)
        if found:
            self.units.unit_issue(name, found)
            if all(u["unit_id"] != found.unit_id for u in recipients["units"]):
                recipients["units"].append({"name": found.name, "unit_id": found.unit_id})
        else:
            recipients["lines"].append(name)

    def _signature(self, lines: list[str]) -> dict[str, Any]:
        """ "TM. ỦY BAN NHÂN DÂN" / "KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH" / name; defaults if absent."""
        defaults = SignatureBlock()
        result = {
            "authority": "",
            "collective": "",
            "deputy_for": "",
            "position": "",
            "signer_name": "",
        }
        found = False
        for text in lines:
            match = AUTHORITY.match(text)
            if match and is_upper(text):
                authority = f"{(match.group(1) or '').upper()}."
                rest = (match.group(2) or "").strip()
                if not result["authority"]:
                    result["authority"] = authority
                    if authority == "TM.":
                        result["collective"] = rest
                    else:
                        result["deputy_for"] = rest
                elif not result["deputy_for"]:
                    result["deputy_for"] = rest
                else:
                    self.notes.unplaced.append(text)
                found = True
            elif is_upper(text) and not result["position"]:
                result["position"] = text
                found = True
            elif (
                not is_upper(text)
                and not result["signer_name"]
                and len(text) <= 60
                and (not text.startswith("("))
            ):
                result["signer_name"] = text
                found = True
            else:
                self.notes.unplaced.append(text)
        if not found:
            return {
                "authority": defaults.authority,
                "collective": defaults.collective,
                "deputy_for": defaults.deputy_for,
                "position": defaults.position,
                "signer_name": "",
                "signer_id": None,
            }
        return {**result, "signer_id": None}
