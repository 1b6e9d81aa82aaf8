"""Print a Word file to an image-only PDF, as a scanner would give it back:
`python -m tests.corpus.scan [--noisy] [in.docx] [out.pdf]` (the seed plan by default).

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
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "documents" / "seeds" / "dongnai-262-KH-UBND-2023.docx"
DPI = 200


def image_pdf(pdf: bytes, *, dpi: int = DPI, noisy: bool = False) -> tuple[bytes, int]:
    """(the PDF `pdf` as page images only, number of pages); `noisy`: as a worn scanner gives
    them (`worn`)."""
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
        if noisy:
            pages = [worn(page, seed=index) for index, page in enumerate(pages)]
        out = io.BytesIO()
        pages[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
        return out.getvalue(), len(pages)


def worn(page: Any, *, seed: int = 0) -> Any:
    """A page as a worn scanner gives it: turned a little (0.4-0.8 degrees), slightly blurred,
    with specks of dust; the same every time for the same seed."""
    import random

    from PIL import ImageFilter

    rng = random.Random(seed)
    angle = rng.choice((-1, 1)) * rng.uniform(0.4, 0.8)
    page = page.rotate(angle, resample=3, expand=False, fillcolor=255)
    page = page.filter(ImageFilter.GaussianBlur(0.6))
    pixels = page.load()
    for _ in range(page.width * page.height // 2000):
        x, y = rng.randrange(page.width), rng.randrange(page.height)
        pixels[x, y] = 0 if rng.random() < 0.5 else 255
    return page


def scanned(docx: bytes, *, noisy: bool = False) -> tuple[bytes, int]:
    from documents.conversion import docx_to_pdf

    return image_pdf(docx_to_pdf(docx), noisy=noisy)


def scanned_seed() -> tuple[bytes, int]:
    return scanned(SEED.read_bytes())


def main(argv: list[str]) -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    noisy = "--noisy" in argv
    argv = [a for a in argv if a != "--noisy"]
    source = Path(argv[0]) if argv else SEED
    target = Path(argv[1]) if len(argv) > 1 else Path(source.stem + "-scan.pdf")
    data, pages = scanned(source.read_bytes(), noisy=noisy)
    target.write_bytes(data)
    print(f"{target}: {pages} pages, {len(data):,} bytes, no text layer")  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1:])
