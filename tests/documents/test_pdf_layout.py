"""Reading a PDF's words as lines (documents/intake/layout.py, grid.py, pdf.py), without
LibreOffice or OCR: words with their boxes as a text layer or Tesseract gives them, ruled tables
drawn in a picture, Tesseract's TSV, and the limits a PDF is refused at."""

from __future__ import annotations

import io

import pypdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from agencies.errors import InvalidInput
from documents.intake import pdf as pdf_reader
from documents.intake.grammar import repair_numbering
from documents.intake.grid import deskewed, find_grids, skew_angle
from documents.intake.layout import Page, Word, page_lines
from documents.intake.lines import Line
from documents.intake.text import Notes

LINE = 14.0  # a printed line's height, in points
LEFT, RIGHT = 85.0, 540.0


def words(text: str, x: float, y: float, *, width: float | None = None) -> list[Word]:
    """The words of `text` on the line at `y`, from `x`, spread over `width` when given (a
    justified line), else 6 points a letter."""
    parts = text.split()
    letters = sum(len(p) for p in parts)
    if width is None:
        width = 6.0 * letters + 3.0 * (len(parts) - 1)
    space = (width - 6.0 * letters) / max(1, len(parts) - 1)
    out, position = [], x
    for part in parts:
        out.append(Word(part, position, position + 6.0 * len(part), y, y + LINE))
        position += 6.0 * len(part) + space
    return out


def centred(text: str, y: float) -> list[Word]:
    width = sum(6.0 * len(p) for p in text.split()) + 3.0 * (len(text.split()) - 1)
    return words(text, (LEFT + RIGHT - width) / 2, y)


def page(*rows: list[Word], grids: list | None = None) -> Page:
    return Page(width=595.0, height=842.0, fragments=[r for r in rows if r], grids=grids or [])


def body(text: str, y: float, *, indent: float = 0.0, full: bool = True) -> list[Word]:
    x = LEFT + indent
    return words(text, x, y, width=(RIGHT - x) if full else None)


# ---------------------------------------------------------------------------------------------
# Rows, paragraphs, two-column areas


def test_the_two_column_header_is_read_as_a_table_of_two_cells() -> None:
    lines, tables = page_lines(
        [
            page(
                words("ỦY BAN NHÂN DÂN", 120, 60)
                + words("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 320, 60),
                words("TỈNH BẮC NINH", 130, 76) + words("Độc lập - Tự do - Hạnh phúc", 350, 76),
                words("Số: 141/KH-UBND", 125, 100) + words("Bắc Ninh, ngày 20 tháng 11", 330, 100),
                words("năm 2025", 400, 116),
                centred("KẾ HOẠCH", 150),
                body("Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;", 180),
            )
        ]
    )
    header = [line for line in lines if line.in_table]
    assert [(line.column, line.text) for line in header] == [
        (0, "ỦY BAN NHÂN DÂN"),
        (0, "TỈNH BẮC NINH"),
        (0, "Số: 141/KH-UBND"),
        (1, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        (1, "Độc lập - Tự do - Hạnh phúc"),
        (1, "Bắc Ninh, ngày 20 tháng 11 năm 2025"),  # the wrapped date joined
    ]
    assert len(tables[0].rows[0]) == 2
    title = lines[len(header)]
    assert (title.text, title.centered, title.in_table) == ("KẾ HOẠCH", True, False)


def test_wrapped_lines_are_one_paragraph_and_a_new_item_is_not() -> None:
    lines, _tables = page_lines(
        [
            page(
                body(
                    "- Sở Thông tin và Truyền thông chủ trì, phối hợp với các sở,", 100, indent=28
                ),
                body(
                    "ban, ngành tổ chức tuyên truyền trên các phương tiện thông tin.",
                    116,
                    full=False,
                ),
                body("- Thời gian thực hiện: năm 2025.", 132, indent=28, full=False),
            )
        ]
    )
    assert [line.text for line in lines] == [
        "- Sở Thông tin và Truyền thông chủ trì, phối hợp với các sở, ban, ngành tổ chức tuyên "
        "truyền trên các phương tiện thông tin.",
        "- Thời gian thực hiện: năm 2025.",
    ]


def test_a_short_line_ends_its_paragraph_and_page_numbers_are_left_out() -> None:
    lines, _tables = page_lines(
        [
            page(
                words("2", 295, 30),  # the page number at the top
                body("1. Mục đích", 100, full=False),
                body("Nâng cao nhận thức của cán bộ.", 116, full=False),
            )
        ]
    )
    assert [line.text for line in lines] == ["1. Mục đích", "Nâng cao nhận thức của cán bộ."]


def test_the_signature_beside_nơi_nhận_is_read_as_two_cells() -> None:
    lines, _tables = page_lines(
        [
            page(
                body("Trên đây là Kế hoạch của UBND tỉnh./.", 100, indent=28, full=False),
                words("Nơi nhận:", LEFT, 130) + words("TM. ỦY BAN NHÂN DÂN", 360, 130),
                words("- Bộ Nội vụ;", LEFT, 146) + words("KT. CHỦ TỊCH", 380, 146),
                words("- Lưu: VT, KGVX.", LEFT, 162) + words("PHÓ CHỦ TỊCH", 378, 162),
                words("Nguyễn Văn A", 380, 240),  # under the space left for the signature
            )
        ]
    )
    cells = {(line.column, line.text) for line in lines if line.in_table}
    assert (0, "- Lưu: VT, KGVX.") in cells
    assert (1, "Nguyễn Văn A") in cells
    assert not lines[0].in_table


# ---------------------------------------------------------------------------------------------
# Ruled tables


def ruled(columns: list[int], rows: list[int], *, merged_below: int | None = None) -> Image.Image:
    """A 100 dpi page picture with a ruled table; the border under row `merged_below`'s first
    cell left out (a cell merged downwards)."""
    image = Image.new("L", (827, 1170), 255)
    draw = ImageDraw.Draw(image)
    for index, y in enumerate(rows):
        start = columns[0]
        if merged_below is not None and index == merged_below + 1:
            start = columns[1]
        draw.line([(start, y), (columns[-1], y)], fill=0, width=1)
    for x in columns:
        draw.line([(x, rows[0]), (x, rows[-1])], fill=0, width=1)
    draw.text((300, 50), "KE HOACH", fill=0)  # text is not a table
    return image


def test_a_ruled_table_is_found_with_its_rows_columns_and_merged_cells() -> None:
    image = ruled([100, 160, 500, 700], [200, 240, 300, 360, 420], merged_below=1)
    (grid,) = find_grids(image, 0.72)
    assert len(grid.xs) == 4
    assert len(grid.ys) == 5
    merged = [r for r in grid.regions if r.row_end - r.row > 1]
    assert [(r.row, r.column, r.row_end) for r in merged] == [(1, 0, 3)]


def test_words_in_a_ruled_table_become_its_cells_and_a_table_goes_on_across_pages() -> None:
    image = ruled([100, 160, 500, 700], [200, 240, 300, 360])
    (grid,) = find_grids(image, 0.72)

    def cell(text: str, column: int, row: int) -> list[Word]:
        return words(text, grid.xs[column] + 4, grid.ys[row] + 6)

    first = page(
        cell("STT", 0, 0) + cell("Nội dung", 1, 0) + cell("Chủ trì", 2, 0),
        cell("1", 0, 1) + cell("Tập huấn", 1, 1) + cell("Sở Nội vụ", 2, 1),
        cell("2", 0, 2) + cell("Hỗ trợ doanh nghiệp,", 1, 2) + cell("Sở Công Thương", 2, 2),
        grids=[grid],
    )
    second = page(
        cell("STT", 0, 0) + cell("Nội dung", 1, 0) + cell("Chủ trì", 2, 0),  # repeated header
        cell("nhất là hợp tác xã", 1, 1),  # the rest of row 2, broken by the page
        cell("3", 0, 2) + cell("Tổng kết", 1, 2) + cell("Sở Tài chính", 2, 2),
        grids=[grid],
    )
    lines, tables = page_lines([first, second])
    (table,) = tables.values()
    assert [[c.text for c in row] for row in table.rows] == [
        ["STT", "Nội dung", "Chủ trì"],
        ["1", "Tập huấn", "Sở Nội vụ"],
        ["2", "Hỗ trợ doanh nghiệp, nhất là hợp tác xã", "Sở Công Thương"],
        ["3", "Tổng kết", "Sở Tài chính"],
    ]
    assert [line.text for line in lines].count("STT") == 1


# ---------------------------------------------------------------------------------------------
# OCR output, numbering


TSV = """level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
5\t1\t1\t1\t1\t1\t100\t100\t60\t40\t96\tTTĐÐN
5\t1\t1\t1\t1\t2\t170\t100\t80\t40\t95\tcủa
5\t1\t1\t1\t1\t3\t260\t130\t10\t8\t12\t,
5\t1\t2\t1\t1\t1\t900\t100\t40\t5\t93\t-
"""


def test_tesseract_words_are_read_by_line_without_specks() -> None:
    fragments = pdf_reader.parse_tsv(TSV)
    assert [[w.text for w in f] for f in fragments] == [["TTĐĐN", "của"], ["-"]]


def test_section_numbers_misread_by_ocr_are_repaired_with_a_note() -> None:
    notes = Notes()
    lines = repair_numbering(
        [
            Line("I. MỤC ĐÍCH, YÊU CẦU"),
            Line("H. NỘI DUNG, NHIỆM VỤ"),
            Line("II KINH PHÍ THỰC HIỆN"),
            Line("lV. TỔ CHỨC THỰC HIỆN"),
            Line("Il. Đây là câu văn thường"),
        ],
        notes,
    )
    assert [line.text.split(" ", 1)[0] for line in lines] == ["I.", "II.", "III.", "IV.", "Il."]
    assert [issue["code"] for issue in notes.issues] == ["ocr_numbering"] * 3


# ---------------------------------------------------------------------------------------------
# Refused before anything is read


def blank_pdf(pages: int) -> bytes:
    document = pdfium.PdfDocument.new()
    for _ in range(pages):
        document.new_page(595, 842)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def picture_pdf() -> bytes:
    image = Image.new("L", (400, 560), 255)
    ImageDraw.Draw(image).text((40, 40), "KE HOACH", fill=0)
    out = io.BytesIO()
    image.save(out, "PDF", resolution=50)
    return out.getvalue()


def test_a_pdf_over_the_page_limit_is_refused(settings) -> None:
    settings.IMPORT_PDF_MAX_PAGES = 3
    with pytest.raises(InvalidInput, match="4 trang, vượt quá giới hạn 3 trang"):
        pdf_reader.read_pdf(blank_pdf(4))


def test_a_password_protected_or_broken_pdf_is_refused() -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("mật-khẩu")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(InvalidInput, match="mật khẩu"):
        pdf_reader.read_pdf(out.getvalue())
    with pytest.raises(InvalidInput, match="bị hỏng"):
        pdf_reader.read_pdf(b"%PDF-1.7\n garbage")


def test_a_scan_is_refused_when_tesseract_is_missing(monkeypatch) -> None:
    monkeypatch.setattr(pdf_reader.shutil, "which", lambda name: None)
    with pytest.raises(InvalidInput, match="chưa cài phần mềm nhận dạng chữ"):
        pdf_reader.read_pdf(picture_pdf())


def test_a_scan_is_refused_past_the_time_limit(settings) -> None:
    settings.IMPORT_OCR_TIME_LIMIT = 0
    with pytest.raises(InvalidInput, match=r"vượt quá thời gian cho phép \(0 giây\)"):
        pdf_reader.read_pdf(picture_pdf())


def test_a_pdf_with_no_text_at_all_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Không đọc được chữ nào"):
        pdf_reader.read_pdf(blank_pdf(1))


def test_a_turned_scan_is_straightened_and_its_table_found() -> None:
    # given a ruled table on a page scanned 0.7 degrees off
    image = ruled([100, 160, 500, 700], [200, 240, 300, 360, 420])
    draw = ImageDraw.Draw(image)
    for y in range(460, 1000, 24):  # lines of text under it
        draw.rectangle([100, y, 700, y + 9], fill=0)
    turned = image.rotate(-0.7, resample=Image.Resampling.BICUBIC, fillcolor=255)
    assert find_grids(turned, 0.72) == []  # the borders are broken into steps
    # when straightened
    assert abs(skew_angle(turned) - 0.7) <= 0.15
    (grid,) = find_grids(deskewed(turned), 0.72)
    # then the table is found whole
    assert (len(grid.xs), len(grid.ys)) == (4, 5)
