"""The agent's texts: Vietnamese, with English for `--lang en`.

The agent is not a Django program, so it carries its own small catalogue: every text a person
sees goes through `_()`, keyed by the Vietnamese text.
"""

from __future__ import annotations

_language = "vi"

ENGLISH = {
    # errors (also sent to the page, which shows its own translation of the code)
    "Mã PIN không đúng; chưa có gì được ký.": "Wrong PIN; nothing was signed.",
    "Mã PIN đã bị khóa do nhập sai nhiều lần; hãy liên hệ nơi cấp token.": (
        "The PIN is locked after too many wrong attempts; contact the token's issuer."
    ),
    "Mã PIN không hợp lệ.": "Invalid PIN.",
    "Không tìm thấy USB token: token đã bị rút ra hoặc không đọc được. Hãy cắm lại token rồi ký lại.": (
        "USB token not found: it was pulled out or cannot be read. Plug it in again and sign again."
    ),
    "Không tìm thấy chứng thư này trên USB token đang cắm.": (
        "This certificate is not on the USB token plugged in."
    ),
    "USB token không có khóa bí mật đi kèm chứng thư này.": (
        "The USB token has no private key for this certificate."
    ),
    "USB token không hỗ trợ thuật toán ký yêu cầu.": (
        "The USB token does not support the requested signing algorithm."
    ),
    "USB token báo lỗi khi ký: %s": "The USB token reported an error while signing: %s",
    "Chữ ký do USB token tạo ra không khớp với chứng thư.": (
        "The signature made by the USB token does not match the certificate."
    ),
    "Không nạp được thư viện PKCS#11 %s: %s": "Could not load the PKCS#11 library %s: %s",
    "Người dùng đã từ chối trên chương trình ký số.": "The user refused in the signing agent.",
    "Hết thời gian chờ xác nhận trên chương trình ký số.": (
        "Timed out waiting for confirmation in the signing agent."
    ),
    "Trang này chưa được ghép nối với chương trình ký số.": (
        "This page is not paired with the signing agent."
    ),
    "Đang có một yêu cầu khác chờ xác nhận trên chương trình ký số.": (
        "Another request is waiting for confirmation in the signing agent."
    ),
    "Yêu cầu không hợp lệ: %s": "Invalid request: %s",
    "Chương trình ký số chỉ phục vụ tại 127.0.0.1 hoặc localhost.": (
        "The signing agent only answers at 127.0.0.1 or localhost."
    ),
    "Thiếu hoặc sai nguồn gốc (Origin) của trang.": "Missing or invalid page origin (Origin).",
    "Không tìm thấy.": "Not found.",
    # the agent's own page
    "Chương trình ký số": "Signing agent",
    "Chương trình ký số — Kế hoạch UBND tỉnh": "Signing agent — provincial plans",
    "Chương trình này ký bằng USB token của bạn khi một trang đã ghép nối yêu cầu. Mã PIN chỉ nhập ở đây, không bao giờ nhập trên trang web.": (
        "This program signs with your USB token when a paired page asks. The PIN is entered "
        "only here, never on the web page."
    ),
    "Yêu cầu đang chờ": "Pending requests",
    "Không có yêu cầu nào.": "No requests.",
    "Trang %s xin ghép nối với chương trình ký số.": "The page %s asks to pair with the signing agent.",
    "Chỉ đồng ý nếu trang đó đang hiển thị đúng mã ghép nối:": (
        "Agree only if that page shows exactly this pairing code:"
    ),
    "Đồng ý ghép nối": "Pair",
    "Từ chối": "Refuse",
    "Trang %s xin ký số bằng chứng thư:": "The page %s asks to sign with the certificate:",
    "Trang %s xin chứng minh quyền giữ khóa để đăng ký chứng thư:": (
        "The page %s asks to prove possession of the key to enrol the certificate:"
    ),
    "Nội dung (do trang cung cấp):": "What (as the page says):",
    "Mã băm được ký:": "Digest to sign:",
    "Mã PIN của USB token": "USB token PIN",
    "Ký": "Sign",
    "Trang đã ghép nối": "Paired pages",
    "Chưa ghép nối trang nào.": "No page is paired.",
    "Hủy ghép nối": "Unpair",
    "Chứng thư trên USB token": "Certificates on the USB token",
    "Đọc lại token": "Read the token again",
    "Không có USB token nào được cắm, hoặc token không có chứng thư.": (
        "No USB token is plugged in, or it holds no certificate."
    ),
    "Đã ký.": "Signed.",
    "Đã ghép nối.": "Paired.",
    "Đã từ chối.": "Refused.",
    "Vui lòng nhập mã PIN.": "Please enter the PIN.",
    "hiệu lực đến": "valid until",
    "do %s cấp": "issued by %s",
}


def set_language(code: str) -> None:
    global _language
    _language = "en" if code.lower().startswith("en") else "vi"


def language() -> str:
    return _language


def _(text: str) -> str:
    """`text` (Vietnamese) in the chosen language."""
    return ENGLISH.get(text, text) if _language == "en" else text
