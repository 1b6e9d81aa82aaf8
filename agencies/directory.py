"""The demo province's directory: units named in the seed plan, and one demo user per role."""

from __future__ import annotations

from django.db import transaction

from .models import Unit, User

# (code, name, short name, abbreviation, kind)
UNITS: list[tuple[str, str, str, str, str]] = [
    (
        "ubnd-tinh",
        "Ủy ban nhân dân tỉnh Đồng Nai",
        "UBND tỉnh",
        "UBND",
        Unit.Kind.PEOPLES_COMMITTEE,
    ),
    ("vp-ubnd", "Văn phòng UBND tỉnh", "VP UBND tỉnh", "VP", Unit.Kind.OFFICE),
    ("so-tttt", "Sở Thông tin và Truyền thông", "Sở TT&TT", "STTTT", Unit.Kind.DEPARTMENT),
    ("so-tc", "Sở Tài chính", "STC", "STC", Unit.Kind.DEPARTMENT),
    ("so-nv", "Sở Ngoại vụ", "SNgV", "SNgV", Unit.Kind.DEPARTMENT),
    ("so-khdt", "Sở Kế hoạch và Đầu tư", "Sở KH&ĐT", "SKHĐT", Unit.Kind.DEPARTMENT),
    ("so-ct", "Sở Công Thương", "SCT", "SCT", Unit.Kind.DEPARTMENT),
    ("so-vhttdl", "Sở Văn hóa, Thể thao và Du lịch", "Sở VHTTDL", "SVHTTDL", Unit.Kind.DEPARTMENT),
    ("so-noivu", "Sở Nội vụ", "SNV", "SNV", Unit.Kind.DEPARTMENT),
    ("cong-an", "Công an tỉnh", "CA tỉnh", "CAT", Unit.Kind.OTHER),
    ("bchqs", "Bộ Chỉ huy Quân sự tỉnh", "BCHQS tỉnh", "BCHQS", Unit.Kind.OTHER),
    ("ban-tuyen-giao", "Ban Tuyên giáo Tỉnh ủy", "BTG Tỉnh ủy", "BTGTU", Unit.Kind.PARTY),
    ("lhhn", "Liên hiệp các tổ chức hữu nghị tỉnh", "LHHN tỉnh", "LHHN", Unit.Kind.OTHER),
    (
        "dai-ptth",
        "Đài Phát thanh - Truyền hình Đồng Nai",
        "Đài PTTH Đồng Nai",
        "ĐPTTH",
        Unit.Kind.OTHER,
    ),
    ("bao-dong-nai", "Báo Đồng Nai", "Báo Đồng Nai", "BĐN", Unit.Kind.OTHER),
    ("nxb-dong-nai", "Nhà Xuất bản Đồng Nai", "NXB Đồng Nai", "NXBĐN", Unit.Kind.OTHER),
    ("ubnd-bien-hoa", "UBND thành phố Biên Hòa", "UBND TP Biên Hòa", "UBND", Unit.Kind.DISTRICT),
    (
        "ubnd-long-khanh",
        "UBND thành phố Long Khánh",
        "UBND TP Long Khánh",
        "UBND",
        Unit.Kind.DISTRICT,
    ),
    # Added with the legal review (thẩm định pháp lý); last, so the other units keep their ids.
    ("so-tp", "Sở Tư pháp", "STP", "STP", Unit.Kind.DEPARTMENT),
]

# Exchange identifiers (mã định danh, QĐ 20/2020/QĐ-TTg: "000.00.<unit>.H19" under the
# province's code), sent as OrganId in edXML packages. Demo values in the official format.
EXCHANGE_CODES: dict[str, str] = {
    "ubnd-tinh": "000.00.00.H19",
    "vp-ubnd": "000.00.01.H19",
    "so-tttt": "000.00.31.H19",
    "so-tc": "000.00.06.H19",
    "so-nv": "000.00.15.H19",
    "so-khdt": "000.00.05.H19",
    "so-ct": "000.00.09.H19",
    "so-vhttdl": "000.00.30.H19",
    "so-noivu": "000.00.16.H19",
    "cong-an": "000.00.40.H19",
    "bchqs": "000.00.41.H19",
    "ban-tuyen-giao": "000.00.50.H19",
    "lhhn": "000.00.60.H19",
    "dai-ptth": "000.00.61.H19",
    "bao-dong-nai": "000.00.62.H19",
    "nxb-dong-nai": "000.00.63.H19",
    "ubnd-bien-hoa": "000.00.00.H19.01",
    "ubnd-long-khanh": "000.00.00.H19.02",
    "so-tp": "000.00.14.H19",
}

# Units outside the province's system, reached through the document exchange (edXML): issuing to
# them sends a package. Kept out of UNITS (the importer's test directory is built from it).
# (code, name, short name, abbreviation, kind, exchange code)
EXTERNAL_UNITS: list[tuple[str, str, str, str, str, str]] = [
    (
        "bo-tttt",
        "Bộ Thông tin và Truyền thông",
        "Bộ TT&TT",
        "BTTTT",
        Unit.Kind.OTHER,
        "000.00.00.G12",
    ),
    (
        "ubnd-tinh-binh-duong",
        "Ủy ban nhân dân tỉnh Bình Dương",
        "UBND tỉnh Bình Dương",
        "UBND",
        Unit.Kind.OTHER,
        "000.00.00.H10",
    ),
]

# (username, full name, unit code, role, position)
USERS: list[tuple[str, str, str, str, str]] = [
    ("chuyenvien", "Nguyễn Thị Minh Anh", "so-tttt", User.Role.DRAFTER, "Chuyên viên"),
    ("giamdoc", "Trần Văn Bình", "so-tttt", User.Role.AGENCY_HEAD, "Giám đốc Sở"),
    ("ngoaivu", "Lê Hoàng Cường", "so-nv", User.Role.AGENCY_HEAD, "Giám đốc Sở"),
    ("vanhoa", "Phạm Thu Dung", "so-vhttdl", User.Role.AGENCY_STAFF, "Chuyên viên"),
    ("congan", "Đỗ Quang Huy", "cong-an", User.Role.AGENCY_STAFF, "Cán bộ"),
    ("taichinh", "Võ Thị Giang", "so-tc", User.Role.FINANCE_REVIEWER, "Trưởng phòng Ngân sách"),
    ("vanphong", "Hoàng Minh Khang", "vp-ubnd", User.Role.OFFICE_VETTER, "Phó Chánh Văn phòng"),
    (
        "tuphap",
        "Đặng Thị Hạnh",
        "so-tp",
        User.Role.LEGAL_REVIEWER,
        "Trưởng phòng Xây dựng và Kiểm tra văn bản",
    ),
    ("chutich", "Võ Tấn Đức", "ubnd-tinh", User.Role.SIGNER, "Chủ tịch"),
    ("phochutich", "Nguyễn Sơn Hùng", "ubnd-tinh", User.Role.SIGNER, "Phó Chủ tịch"),
    ("vanthu", "Bùi Thị Lan", "vp-ubnd", User.Role.CLERK, "Văn thư"),
    ("baodongnai", "Trịnh Văn Nam", "bao-dong-nai", User.Role.AGENCY_STAFF, "Phóng viên"),
]

DEMO_PASSWORD = "demo"


@transaction.atomic
def directory_seed(*, password: str = DEMO_PASSWORD, external: bool = False) -> dict[str, int]:
    """Create (or bring up to date) the demo units and users; safe to run again. `external`
    adds the units reached through the document exchange (EXTERNAL_UNITS), as the demo does."""
    units = {}
    for code, name, short, abbreviation, kind in UNITS:
        unit, _ = Unit.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "short_name": short,
                "abbreviation": abbreviation,
                "kind": kind,
                "exchange_code": EXCHANGE_CODES.get(code, ""),
            },
        )
        units[code] = unit
    for code, name, short, abbreviation, kind, exchange_code in EXTERNAL_UNITS if external else []:
        # An installation that serves one of these itself keeps it internal (the admin said so).
        unit, was_created = Unit.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "short_name": short,
                "abbreviation": abbreviation,
                "kind": kind,
                "exchange_code": exchange_code,
                "is_internal": False,
            },
        )
        units[code] = unit
    created = 0
    for username, full_name, unit_code, role, position in USERS:
        user, was_created = User.objects.update_or_create(
            username=username,
            defaults={
                "full_name": full_name,
                "unit": units[unit_code],
                "role": role,
                "position": position,
                # Example addresses (the reserved .example domain): reminders go by e-mail.
                "email": f"{username}@dongnai.example",
                "is_active": True,
            },
        )
        if was_created:
            user.set_password(password)
            user.save(update_fields=["password"])
            created += 1
    return {"units": len(units), "users": len(USERS), "users_created": created}
