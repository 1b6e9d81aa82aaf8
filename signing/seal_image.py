"""The image of an agency's round red seal, for the appearance of its seal signature.

Pure module (Pillow). ND30 Phụ lục I II.8.a: the seal image is red, at the seal's real size, a PNG
with a transparent background. This draws a stand-in until a scan of the real seal is uploaded:
two rings, the agency's name around the band and a star in the middle.
"""

from __future__ import annotations

import functools
import io
import math

from PIL import Image, ImageDraw, ImageFont

SEAL_RED = (218, 37, 29, 255)
DIAMETER_MM = 36
DPI = 300
RING_FONT = "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"


def _star(center_x: float, radius: float, *, center_y: float) -> list[tuple[float, float]]:
    """The ten corners of a five-pointed star pointing up."""
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.382
        angle = math.pi / 2 + i * math.pi / 5
        points.append((center_x + r * math.cos(angle), center_y - r * math.sin(angle)))
    return points


@functools.lru_cache(maxsize=32)
def seal_png(*, ring_text: str) -> bytes:
    """Return a PNG (RGBA, transparent outside the seal) of a 36 mm seal at 300 dpi.

    `ring_text` (e.g. "Ủy ban nhân dân tỉnh Đồng Nai") runs clockwise around the band in upper
    case, centred on the top; a small star marks the bottom. The PNG's dpi makes it 36 mm wide.
    """
    size = round(DIAMETER_MM / 25.4 * DPI)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    center = size / 2
    outer = size / 2 - 2
    draw.ellipse(
        (center - outer, center - outer, center + outer, center + outer),
        outline=SEAL_RED,
        width=round(size * 0.03),
    )
    inner = outer * 0.66
    draw.ellipse(
        (center - inner, center - inner, center + inner, center + inner),
        outline=SEAL_RED,
        width=round(size * 0.012),
    )
    draw.polygon(_star(center, inner * 0.45, center_y=center), fill=SEAL_RED)

    text = ring_text.upper()
    band_radius = (outer + inner) / 2
    font = ImageFont.truetype(RING_FONT, round((outer - inner) * 0.5))
    # Spread the text over at most 300°, centred on the top, leaving the bottom for a small star.
    step = min(2 * math.pi * 300 / 360 / max(len(text), 1), 2 * math.pi / 24)
    start = math.pi - step * (len(text) - 1) / 2
    for index, char in enumerate(text):
        angle = start + index * step  # clockwise from the bottom of the seal
        glyph = Image.new("RGBA", (font.size * 2, font.size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (font.size, font.size), char, font=font, fill=SEAL_RED, anchor="mm"
        )
        # A letter at the top stands upright; elsewhere it leans with the circle.
        rotated = glyph.rotate(-math.degrees(angle - math.pi), resample=Image.Resampling.BICUBIC)
        x = center - band_radius * math.sin(angle)
        y = center + band_radius * math.cos(angle)
        image.alpha_composite(
            rotated, (round(x - rotated.width / 2), round(y - rotated.height / 2))
        )
    draw.polygon(_star(center, font.size * 0.45, center_y=center + band_radius), fill=SEAL_RED)

    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(DPI, DPI))
    return out.getvalue()
