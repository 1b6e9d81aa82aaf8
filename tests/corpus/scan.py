"""Print a Word file to an image-only PDF, as a scanner would give it back:
`python -m tests.corpus.scan [in.docx] [out.pdf]` (the seed plan by default).

The file is converted to PDF with LibreOffice (documents.conversion), every page is rasterised
with poppler's pdftoppm (grey, 200 dpi) and the images are put back into a PDF with Pillow: the
result has no text layer at all, only pictures of the pages, so reading it needs OCR.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "documents" / "seeds" / "dongnai-262-KH-UBND-2023.docx"
DPI = 200


def image_pdf(pdf: bytes, *, dpi: int = DPI) -> tuple[bytes, int]:
    """(the PDF `pdf` as page images only, number of pages)."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(source), str(Path(tmp) / "page")],
            check=True,
            timeout=120,
        )
        pages = [Image.open(path).convert("L") for path in sorted(Path(tmp).glob("page*.png"))]
        out = io.BytesIO()
        pages[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
        return out.getvalue(), len(pages)


def scanned(docx: bytes) -> tuple[bytes, int]:
    from documents.conversion import docx_to_pdf

    return image_pdf(docx_to_pdf(docx))


def scanned_seed() -> tuple[bytes, int]:
    return scanned(SEED.read_bytes())


def main(argv: list[str]) -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    source = Path(argv[0]) if argv else SEED
    target = Path(argv[1]) if len(argv) > 1 else Path(source.stem + "-scan.pdf")
    data, pages = scanned(source.read_bytes())
    target.write_bytes(data)
    print(f"{target}: {pages} pages, {len(data):,} bytes, no text layer")  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1:])
