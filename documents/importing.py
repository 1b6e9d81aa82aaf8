"""Import a file: a plan (Kế hoạch) into plan content, a received letter into its parts.

Pure: no models, no database (it reads the settings of its limits). The entry points are here;
the readers live in `documents/intake/`:

- `safety`: refuses what is not a sound file (size, zip bombs, old or protected Word files,
  broken XML) before anything is read;
- `wordfile`, `lines`: a Word file's body as lines in reading order;
- `directory`: unit names as written matched to the directory;
- `grammar`, `text`: the words and numbering of an administrative document (Nghị định 30),
  matched on diacritics-folded text so that OCR text without diacritics reads the same;
- `plan` (with `tables`, `tree`, `blocks`, `footer`): the plan reader;
- `letter`: the letter reader (văn bản đến);
- `pdf` (with `layout`, `grid`): a PDF's text layer, or OCR of a scan (Tesseract, Vietnamese), as
  the lines and tables the readers read; page and time limits.

`import_plan_file(data, directory=...)` (a .docx or a PDF; `import_plan_docx`,
`import_plan_pdf` for one kind) returns an `ImportResult` whose `content` is accepted by
`PlanContent.from_dict`; nothing is dropped: what cannot be placed is in `unplaced`, and every
doubt is an issue (`needs_review`). `import_letter_file(data)` returns a `LetterImportResult`.
Bad files raise `InvalidInput` with a Vietnamese message before anything is created.
"""

from __future__ import annotations

from .intake.directory import UnitDirectory, UnitMatch, unit_key
from .intake.grammar import DOC_TYPE_ABBREVIATIONS, DOC_TYPES_BY_NAME
from .intake.letter import (
    LetterImportResult,
    body_names,
    import_letter_docx,
    import_letter_file,
    import_letter_pdf,
    proper_body_name,
)
from .intake.pdf import is_pdf
from .intake.plan import ImportResult, import_plan_docx, import_plan_file, import_plan_pdf
from .intake.safety import check_docx, max_import_bytes, too_large_message
from .intake.text import clean_text, fold, plain

__all__ = [
    "DOC_TYPES_BY_NAME",
    "DOC_TYPE_ABBREVIATIONS",
    "ImportResult",
    "LetterImportResult",
    "UnitDirectory",
    "UnitMatch",
    "body_names",
    "check_docx",
    "clean_text",
    "fold",
    "import_letter_docx",
    "import_letter_file",
    "import_letter_pdf",
    "import_plan_docx",
    "import_plan_file",
    "import_plan_pdf",
    "is_pdf",
    "max_import_bytes",
    "plain",
    "proper_body_name",
    "too_large_message",
    "unit_key",
]
