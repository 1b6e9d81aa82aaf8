"""Fixtures for signing: a plan PDF rendered by LibreOffice (once per session) and test PKIs."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from signing.pkcs11 import Pkcs11Config

from .helpers import Pki, make_pki
from .national_pki import NationalTestPki, national_pki_served
from .softhsm import MODULE as SOFTHSM_MODULE


def _cell(cell: Any, lines: list[tuple[str, bool, bool]]) -> None:
    """Fill a table cell with centred lines of (text, bold, italic)."""
    for index, (text, bold, italic) in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.bold, run.italic = bold, italic


def _plan_docx(path: Path) -> None:
    """A three-page plan laid out like ND30: header with blank number and date, signature block."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin = section.bottom_margin = Cm(2)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = "Times New Roman", Pt(13)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "Times New Roman")

    header = document.add_table(rows=1, cols=2)
    _cell(
        header.cell(0, 0),
        [
            ("ỦY BAN NHÂN DÂN", True, False),
            ("TỈNH ĐỒNG NAI", True, False),
            ("", False, False),
            ("Số:        /KH-UBND", False, False),
        ],
    )
    _cell(
        header.cell(0, 1),
        [
            ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True, False),
            ("Độc lập - Tự do - Hạnh phúc", True, False),
            ("", False, False),
            ("Đồng Nai, ngày      tháng      năm      ", False, True),
        ],
    )
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run("KẾ HOẠCH").bold = True
    document.add_paragraph(
        "Chuyển đổi số tỉnh Đồng Nai năm 2027"
    ).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for number in range(1, 40):
        document.add_paragraph(
            f"{number}. Sở Khoa học và Công nghệ chủ trì, phối hợp với các sở, ngành triển khai "
            f"nhiệm vụ số {number}; thời gian thực hiện: quý II/2027."
        )
    block = document.add_table(rows=1, cols=2)
    _cell(
        block.cell(0, 0),
        [
            ("Nơi nhận:", True, True),
            ("- Các sở, ban, ngành;", False, False),
            ("- Lưu: VT, KGVX.", False, False),
        ],
    )
    _cell(
        block.cell(0, 1),
        [
            ("TM. ỦY BAN NHÂN DÂN", True, False),
            ("KT. CHỦ TỊCH", True, False),
            ("PHÓ CHỦ TỊCH", True, False),
            *[("", False, False)] * 4,
            ("Nguyễn Văn A", True, False),
        ],
    )
    document.save(path)


@pytest.fixture(scope="session")
def plan_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """An unsigned plan rendered by LibreOffice, as the documents app will produce it."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    directory = tmp_path_factory.mktemp("plan")
    _plan_docx(directory / "plan.docx")
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{directory / 'profile'}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(directory),
            str(directory / "plan.docx"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return (directory / "plan.pdf").read_bytes()


@pytest.fixture(scope="session")
def pki() -> Pki:
    return make_pki()


@pytest.fixture(scope="session")
def foreign_pki() -> Pki:
    """Another CA that our system does not trust."""
    return make_pki("Bình Dương")


@pytest.fixture(scope="session")
def national_pki() -> Iterator[NationalTestPki]:
    """A CA chain shaped like the national one, its CRLs, OCSP and TSA served on 127.0.0.1."""
    with national_pki_served() as pki:
        yield pki


@pytest.fixture
def national_ca(national_pki: NationalTestPki, db: Any) -> Iterator[NationalTestPki]:
    """The national-shaped PKI with its root imported as a trust root, answering (not `down`)."""
    from agencies.models import User
    from signing.services import trust_root_import

    admin = User.objects.create_user(
        username="quantri-pki", full_name="Quản Trị PKI", is_staff=True
    )
    trust_root_import(pem=national_pki.pem(national_pki.root.certificate), actor=admin)
    national_pki.down = False
    try:
        yield national_pki
    finally:
        national_pki.down = False


# THE SEAL TOKEN (SoftHSM2 in this process)

SEAL_TOKEN_LABEL = "kehoach-test-seal"
SEAL_TOKEN_PIN = "123456"


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pkcs11Config]:
    """A fresh SoftHSM2 token for this test session (its own SOFTHSM2_CONF and token dir)."""
    util = shutil.which("softhsm2-util")
    if util is None or not Path(SOFTHSM_MODULE).exists():
        pytest.fail(
            "SoftHSM2 is missing (softhsm2-util or libsofthsm2.so): install the Debian package "
            "softhsm2, e.g. with scripts/install.sh."
        )
    directory = tmp_path_factory.mktemp("softhsm")
    (directory / "tokens").mkdir()
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {directory / 'tokens'}\n"
        "objectstore.backend = file\n"
        "log.level = ERROR\n"
    )
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [
            util,
            "--init-token",
            "--free",
            "--label",
            SEAL_TOKEN_LABEL,
            "--pin",
            SEAL_TOKEN_PIN,
            "--so-pin",
            "12345678",
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "SOFTHSM2_CONF": str(conf)},
    )
    yield Pkcs11Config(module_path=SOFTHSM_MODULE, token_label=SEAL_TOKEN_LABEL, pin=SEAL_TOKEN_PIN)
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture
def pkcs11_settings(settings: Any, softhsm_token: Pkcs11Config) -> Pkcs11Config:
    settings.SEAL_KEY_BACKEND = "pkcs11"
    settings.SEAL_PKCS11_MODULE = softhsm_token.module_path
    settings.SEAL_PKCS11_TOKEN_LABEL = softhsm_token.token_label
    settings.SEAL_PKCS11_PIN = softhsm_token.pin
    settings.SEAL_PKCS11_KEY_TYPE = "ec"
    return softhsm_token
