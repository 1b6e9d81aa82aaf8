"""The `data` each step's completion takes (POST /api/v1/tasks/{id}/complete/), described once.

`STEP_DATA` maps a component name to its JSON schema; `DATA_SCHEMA_OF_STEP` says which one a step
takes (TaskSerializer.data_schema tells a client). config/schema.py adds the components to the
OpenAPI document, and the completion's `data` is any of them.
"""

from __future__ import annotations

from typing import Any

from agencies.validation import MAX_COMMENT, MAX_ID, MAX_IDS
from documents.content import MAX_BUDGET_VND

CONTENT_REF = {"$ref": "#/components/schemas/PlanContentRequest"}

STEP_DATA: dict[str, dict[str, Any]] = {
    "ChooseAgenciesData": {
        "type": "object",
        "description": (
            "Bước choose_agencies, thao tác send: các đơn vị được lấy ý kiến "
            "(GET /api/v1/units/) và hạn góp ý: deadline hoặc deadline_working_days."
        ),
        "properties": {
            "unit_ids": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                "maxItems": MAX_IDS,
                "description": "Mã các đơn vị được lấy ý kiến (không gồm đơn vị soạn thảo).",
            },
            "deadline": {
                "type": "string",
                "description": "Hạn góp ý: YYYY-MM-DD (hết ngày) hoặc YYYY-MM-DDTHH:MM, giờ Việt Nam.",
                "example": "2027-01-15T17:00",
            },
            "deadline_working_days": {
                "type": "integer",
                "minimum": 1,
                "maximum": 250,
                "description": (
                    "Thay cho deadline: hạn góp ý là N ngày làm việc kể từ hôm nay (không tính "
                    "hôm nay, bỏ qua ngày nghỉ, lễ, Tết), hết ngày làm việc cuối cùng. Một hạn "
                    "rơi vào ngày nghỉ được lùi đến hết ngày làm việc kế tiếp."
                ),
                "example": 7,
            },
        },
        "required": ["unit_ids"],
    },
    "ConsolidateData": {
        "type": "object",
        "description": (
            "Bước consolidate, thao tác send: tiếp thu hoặc giải trình từng ý kiến góp ý, và "
            "(tùy chọn) nội dung đã chỉnh sửa."
        ),
        "properties": {
            "resolutions": {
                "type": "object",
                "description": "Mã ý kiến (consultations[].id) → cách xử lý.",
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "resolution": {"type": "string", "enum": ["accepted", "explained"]},
                        "note": {
                            "type": "string",
                            "maxLength": MAX_COMMENT,
                            "description": "Nội dung giải trình (bắt buộc khi giải trình).",
                        },
                    },
                    "required": ["resolution"],
                },
            },
            "content": CONTENT_REF,
        },
    },
    "SignData": {
        "type": "object",
        "description": (
            "Bước sign, thao tác sign: phiên ký từ POST /api/v1/documents/{id}/sign/prepare/ và "
            "chữ ký của thiết bị trên to_be_signed."
        ),
        "properties": {
            "session_id": {"type": "string", "format": "uuid"},
            "signature": {
                "type": "string",
                "format": "byte",
                "description": "ECDSA: r‖s hoặc DER, mã hóa base64.",
            },
        },
        "required": ["session_id", "signature"],
    },
    "BudgetReviewData": {
        "type": "object",
        "description": (
            "Bước budget_review, thao tác approve hoặc return: ý kiến của Sở Tài chính về từng "
            "dòng kinh phí (nhiệm vụ có dự toán). Dòng không nêu được xem là đồng ý. Không thể "
            "approve khi còn dòng question; return liệt kê các dòng question trong lịch sử."
        ),
        "properties": {
            "lines": {
                "type": "array",
                "maxItems": 1000,
                "items": {
                    "type": "object",
                    "properties": {
                        "index": {
                            "type": "integer",
                            "minimum": 0,
                            "description": (
                                "Thứ tự của nhiệm vụ trong mọi nhiệm vụ của nội dung (từ 0), "
                                "như budget_lines[].index của văn bản."
                            ),
                        },
                        "verdict": {"type": "string", "enum": ["agree", "adjust", "question"]},
                        "amount": {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": MAX_BUDGET_VND,
                            "description": "Số kinh phí sau điều chỉnh (đồng), bắt buộc khi adjust.",
                        },
                        "reason": {
                            "type": "string",
                            "maxLength": MAX_COMMENT,
                            "description": "Lý do (bắt buộc khi adjust hoặc question).",
                        },
                    },
                    "required": ["index", "verdict"],
                },
            },
        },
    },
    "ReviseData": {
        "type": "object",
        "description": "Các bước revise_*, thao tác resubmit: (tùy chọn) nội dung đã chỉnh sửa.",
        "properties": {"content": CONTENT_REF},
    },
}

DATA_SCHEMA_OF_STEP = {
    "choose_agencies": "ChooseAgenciesData",
    "consolidate": "ConsolidateData",
    "budget_review": "BudgetReviewData",
    "sign": "SignData",
    "revise_agency": "ReviseData",
    "revise_budget": "ReviseData",
    "revise_vetting": "ReviseData",
    "revise_sign": "ReviseData",
}

TASK_DATA_FIELD: dict[str, Any] = {
    "description": (
        "Dữ liệu của bước, theo data_schema của nhiệm vụ (GET /api/v1/tasks/{id}/); bỏ trống với "
        "các bước chỉ cần thao tác và ý kiến."
    ),
    "anyOf": [{"$ref": f"#/components/schemas/{name}"} for name in STEP_DATA],
}
