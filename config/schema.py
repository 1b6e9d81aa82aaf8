"""What drf-spectacular needs to describe the API completely (issue 7 §5).

- the `data` of each step's completion (web/api_schema.py), as components;

- every operation lists the error answers it can give, all in the shape of the `Error`
  component ({"error": code, "detail": message, …}): 400, 401, 403, 404, 405, 409, 413, 415, 429
  and 503 — added here once rather than on each view;
- the API token scheme (agencies.authentication.ApiTokenAuthentication);
- the description of the WebSocket, which OpenAPI cannot describe as an operation.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from web.api_schema import STEP_DATA

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "Mã lỗi ổn định, ví dụ `wrong_state`."},
        "detail": {"type": "string", "description": "Thông báo cho người dùng (tiếng Việt)."},
    },
    "required": ["error", "detail"],
    "additionalProperties": True,
}

ERROR_DESCRIPTIONS = {
    "400": "Dữ liệu không hợp lệ",
    "401": "Chưa đăng nhập, hoặc khóa truy cập không hợp lệ, đã hết hạn, đã bị thu hồi",
    "403": "Không có quyền",
    "404": "Không tìm thấy",
    "405": "Phương thức không được hỗ trợ",
    "409": "Không phù hợp với trạng thái hiện tại (mã `already_done`: thao tác đã có hiệu lực)",
    "413": "Dữ liệu gửi lên quá lớn",
    "415": "Kiểu dữ liệu gửi lên không được hỗ trợ",
    "429": "Quá nhiều yêu cầu hoặc tạm thời bị khóa đăng nhập (xem Retry-After)",
    "503": "Tạm thời không truy cập được cơ sở dữ liệu; thử lại sau Retry-After giây",
}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "agencies.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Token <khóa>` (hoặc `Bearer <khóa>`), khóa nhận từ POST /api/v1/auth/token/. "
                "Khóa có thời hạn (expires_at) và thu hồi được (POST /api/v1/auth/logout/)."
            ),
        }


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> Any:
    """POSTPROCESSING_HOOK: the `Error` component, and every error answer on every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    schemas.update(STEP_DATA)
    reference = {"$ref": "#/components/schemas/Error"}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_DESCRIPTIONS.items():
                response = responses.setdefault(code, {"description": description})
                response["content"] = {"application/json": {"schema": reference}}
                if code in ("429", "503"):
                    response["headers"] = {
                        "Retry-After": {
                            "schema": {"type": "integer"},
                            "description": "Số giây nên chờ trước khi thử lại.",
                        }
                    }
    return result
