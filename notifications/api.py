"""REST API of the bell: list (with catch-up) and mark read. Thin: parse, call, answer."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from agencies.errors import InvalidInput
from agencies.validation import MAX_ID

from .models import Notification
from .selectors import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    UNREAD_COUNT_CAP,
    notification_list,
    notification_preference_of,
    notification_unread_count,
)
from .services import email_kind_choices, notification_mark_read, notification_preference_set


class NotificationSerializer(serializers.ModelSerializer):
    """One notification, the same shape as the WebSocket payload without `unread_count`."""

    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "data", "created_at", "read"]
        read_only_fields = fields

    def get_read(self, obj: Notification) -> bool:
        return obj.is_read


class NotificationListQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_ID,
        help_text="Bắt kịp: chỉ các thông báo có id > after, cũ trước.",
    )
    before = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Trang sau: chỉ các thông báo có id < before, mới trước (con trỏ trong next).",
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_LIMIT,
        default=DEFAULT_LIMIT,
        help_text=f"Số thông báo một trang (mặc định {DEFAULT_LIMIT}, như các danh sách khác).",
    )


class NotificationListResultSerializer(serializers.Serializer):
    """A page, in the shape of every list of the API (agencies.pagination), plus the count."""

    results = NotificationSerializer(many=True)
    next = serializers.URLField(
        allow_null=True, help_text="The next page (after=… when catching up, else before=…)."
    )
    unread_count = serializers.IntegerField(
        max_value=UNREAD_COUNT_CAP,
        help_text=f"Unread notifications, counted up to {UNREAD_COUNT_CAP} (that many or more).",
    )


class NotificationMarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=1000,
        help_text="Các thông báo cần đánh dấu đã đọc; bỏ trống để đánh dấu tất cả.",
    )


class NotificationMarkReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
    unread_count = serializers.IntegerField(
        max_value=UNREAD_COUNT_CAP,
        help_text=f"Unread notifications, counted up to {UNREAD_COUNT_CAP} (that many or more).",
    )


class NotificationListApi(APIView):
    """The requesting user's notifications: newest first, or those after `after` oldest first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_list",
        tags=["notifications"],
        parameters=[NotificationListQuerySerializer],
        responses=NotificationListResultSerializer,
    )
    def get(self, request: Request) -> Response:
        query = NotificationListQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise InvalidInput("Tham số không hợp lệ: after và limit phải là số nguyên dương.")
        params: dict[str, Any] = query.validated_data
        after, limit = params.get("after"), params["limit"]
        notifications = notification_list(
            user=request.user, after=after, before=params.get("before"), limit=limit + 1
        )
        next_url = None
        if len(notifications) > limit:
            notifications = notifications[:limit]
            cursor = "after" if after is not None else "before"
            next_url = replace_query_param(
                request.build_absolute_uri(), cursor, notifications[-1].pk
            )
        return Response(
            {
                "results": NotificationSerializer(notifications, many=True).data,
                "next": next_url,
                "unread_count": notification_unread_count(user=request.user),
            }
        )


class NotificationMarkReadApi(APIView):
    """Mark the requesting user's notifications read: `{"ids": [...]}`, or `{}` for all."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_mark_read",
        tags=["notifications"],
        request=NotificationMarkReadSerializer,
        responses=NotificationMarkReadResultSerializer,
    )
    def post(self, request: Request) -> Response:
        body = NotificationMarkReadSerializer(data=request.data)
        if not isinstance(request.data, dict) or not body.is_valid():
            raise InvalidInput("Dữ liệu không hợp lệ: ids phải là danh sách số nguyên.")
        marked = notification_mark_read(user=request.user, ids=body.validated_data.get("ids"))
        return Response(
            {"marked": marked, "unread_count": notification_unread_count(user=request.user)}
        )


class EmailKindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()


class NotificationPreferencesSerializer(serializers.Serializer):
    email_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=Notification.Kind.values),
        max_length=len(Notification.Kind.values),
        help_text="Các loại thông báo được gửi qua e-mail (các loại khác chỉ hiện trong chuông).",
    )
    digest = serializers.BooleanField(
        help_text="true: gộp các thông báo đó thành một e-mail mỗi ngày thay vì gửi từng cái."
    )


class NotificationPreferencesResultSerializer(NotificationPreferencesSerializer):
    email = serializers.CharField(
        allow_blank=True, help_text="Địa chỉ nhận e-mail (trống: không gửi e-mail nào)."
    )
    kinds = EmailKindSerializer(many=True, help_text="Mọi loại thông báo có thể chọn.")


def _preferences_answer(user: Any) -> Response:
    email_kinds, digest = notification_preference_of(user=user)
    return Response(
        {
            "email_kinds": email_kinds,
            "digest": digest,
            "email": user.email or "",
            "kinds": [{"kind": k, "label": label} for k, label in email_kind_choices()],
        }
    )


class NotificationPreferencesApi(APIView):
    """The requesting user's choice of notices by e-mail, one by one or in a daily digest."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notification_preferences_get",
        tags=["notifications"],
        responses=NotificationPreferencesResultSerializer,
        summary="Tùy chọn nhận thông báo qua e-mail",
    )
    def get(self, request: Request) -> Response:
        return _preferences_answer(request.user)

    @extend_schema(
        operation_id="notification_preferences_set",
        tags=["notifications"],
        request=NotificationPreferencesSerializer,
        responses=NotificationPreferencesResultSerializer,
        summary="Chọn loại thông báo nhận qua e-mail và bản tổng hợp hằng ngày",
    )
    def put(self, request: Request) -> Response:
        body = NotificationPreferencesSerializer(data=request.data)
        strict = isinstance(request.data, dict) and isinstance(request.data.get("digest"), bool)
        if not strict or not body.is_valid():
            raise InvalidInput(
                "Dữ liệu không hợp lệ: email_kinds là danh sách loại thông báo, digest là "
                "true hoặc false."
            )
        notification_preference_set(
            user=request.user,
            email_kinds=list(body.validated_data["email_kinds"]),
            digest=body.validated_data["digest"],
        )
        return _preferences_answer(request.user)
