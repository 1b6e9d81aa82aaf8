"""The seed documents kept in the repository, and the demo directory with fixed ids, for pure tests."""

from pathlib import Path

from agencies.directory import UNITS

SEEDS = Path(__file__).resolve().parents[2] / "documents" / "seeds"
SEED = SEEDS / "dongnai-262-KH-UBND-2023.docx"

# (unit_id, name, short_name): agencies/directory.py's units, numbered 1, 2, … in order.
DIRECTORY: list[tuple[int, str, str]] = [
    (index, name, short) for index, (_code, name, short, _abbr, _kind) in enumerate(UNITS, 1)
]
