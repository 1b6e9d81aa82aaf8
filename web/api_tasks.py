"""API of tasks: my open tasks with the actions each allows; complete one; submit a draft."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from viewflow.workflow.models import Task

from agencies.errors import InvalidInput, StateError
from agencies.pagination import KeysetPagination
from agencies.parsers import StrictJSONParser
from agencies.validation import MAX_COMMENT
from documents import selectors as document_selectors
from documents import services as documents
from documents.api import ERRORS, PlanDetailSerializer
from documents.models import Plan
from workflows import services

from .api_schema import DATA_SCHEMA_OF_STEP, TASK_DATA_FIELD


class ActionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    comment_required = serializers.BooleanField()


class TaskSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    step = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    status = serializers.CharField()
    document = serializers.SerializerMethodField()
    document_title = serializers.SerializerMethodField()
    created = serializers.DateTimeField()
    deadline = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    data_fields = serializers.SerializerMethodField()
    data_schema = serializers.SerializerMethodField(
        help_text="Tên schema của `data` khi hoàn thành nhiệm vụ này (ví dụ ChooseAgenciesData)."
    )

    def get_step(self, task: Task) -> str:
        return task.flow_task.name

    def get_title(self, task: Task) -> str:
        return services.task_spec(task).title

    def get_document(self, task: Task) -> int:
        return int(task.process.artifact_object_id)

    def get_document_title(self, task: Task) -> str:
        titles = self.context.get("titles")  # one query for a whole inbox
        if titles is not None:
            return titles[int(task.process.artifact_object_id)]
        return services.task_plan(task).title

    def get_deadline(self, task: Task) -> str | None:
        return (task.data or {}).get("deadline")

    def get_unit(self, task: Task) -> str | None:
        return (task.data or {}).get("unit")

    @extend_schema_field(ActionSerializer(many=True))
    def get_actions(self, task: Task) -> list[dict[str, Any]]:
        return [
            {"code": a.code, "label": a.label, "comment_required": a.comment_required}
            for a in services.task_spec(task).actions
        ]

    def get_data_fields(self, task: Task) -> list[str]:
        return list(services.task_spec(task).data_fields)

    def get_data_schema(self, task: Task) -> str | None:
        return DATA_SCHEMA_OF_STEP.get(task.flow_task.name)


@extend_schema_field(TASK_DATA_FIELD)
class TaskDataField(serializers.JSONField):
    """The step's `data` (web/api_schema.py)."""


class CompletedPlanSerializer(serializers.Serializer):
    """The plan as the completion left it: enough to update a list or a badge."""

    id = serializers.IntegerField(source="pk")
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    version_number = serializers.IntegerField()
    number = serializers.IntegerField(allow_null=True)
    url = serializers.SerializerMethodField(
        help_text="The plan in the API (GET for the full plan)."
    )

    def get_url(self, plan: Plan) -> str:
        return reverse("api-document", args=[plan.pk])


class NextTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    step = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    def get_step(self, task: Task) -> str:
        return task.flow_task.name

    def get_title(self, task: Task) -> str:
        return services.task_spec(task).title

    def get_url(self, task: Task) -> str:
        return reverse("api-task", args=[task.pk])


class CompletionSerializer(serializers.Serializer):
    """What completing the task changed, and where to go next."""

    task = serializers.IntegerField(source="task.pk", help_text="The task just completed.")
    step = serializers.CharField(source="task.flow_task.name")
    action = serializers.CharField()
    plan = CompletedPlanSerializer()
    next_tasks = NextTaskSerializer(
        many=True, help_text="Tasks this completion opened that the same user may take up now."
    )
    next = serializers.SerializerMethodField(
        help_text="Where to go next: the first of next_tasks, else the plan."
    )
    plan_detail = PlanDetailSerializer(
        source="plan", required=False, help_text="The whole plan, only with ?expand=plan."
    )

    def get_next(self, completion: services.Completion) -> str:
        if completion.next_tasks:
            return reverse("api-task", args=[completion.next_tasks[0].pk])
        return reverse("api-document", args=[completion.plan.pk])

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if not self.context.get("expand_plan", True):  # the schema lists it; answers on request
            fields.pop("plan_detail")
        return fields


def completion_answer(completion: services.Completion, *, expand_plan: bool) -> dict[str, Any]:
    """The answer to a completion, as CompletionSerializer describes it (the schema), made
    directly: building that serializer's fields cost a tenth of a completion's CPU."""
    plan, task = completion.plan, completion.task
    plan_url = reverse("api-document", args=[plan.pk])
    next_tasks = [
        {
            "id": t.pk,
            "step": t.flow_task.name,
            "title": services.task_spec(t).title,
            "url": reverse("api-task", args=[t.pk]),
        }
        for t in completion.next_tasks
    ]
    answer: dict[str, Any] = {
        "task": task.pk,
        "step": task.flow_task.name,
        "action": completion.action,
        "plan": {
            "id": plan.pk,
            "status": plan.status,
            "status_display": plan.get_status_display(),
            "version_number": plan.version_number,
            "number": plan.number,
            "url": plan_url,
        },
        "next_tasks": next_tasks,
        "next": next_tasks[0]["url"] if next_tasks else plan_url,
    }
    if expand_plan:
        answer["plan_detail"] = PlanDetailSerializer(plan).data
    return answer


class CompleteSerializer(serializers.Serializer):
    action = serializers.CharField(max_length=40, help_text="Mã thao tác (tasks[].actions[].code).")
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_COMMENT,
        help_text="Ý kiến hoặc lý do.",
        error_messages={
            "max_length": f"Ý kiến quá dài (tối đa {MAX_COMMENT} ký tự).",
            "invalid": "Ý kiến phải là chuỗi ký tự.",
        },
    )
    data = TaskDataField(required=False)


class TaskListView(APIView):
    pagination_class = KeysetPagination

    @extend_schema(
        responses=TaskSerializer(many=True),
        summary="Nhiệm vụ đang chờ tôi xử lý (mới nhất trước, từng trang)",
    )
    def get(self, request: Request) -> Response:
        paginator = KeysetPagination()
        tasks = paginator.page(
            request,
            lambda before, limit: services.task_page_open(
                user=request.user, before=before, limit=limit
            ),
        )
        titles = dict(
            Plan.objects.filter(
                pk__in={int(t.process.artifact_object_id) for t in tasks}
            ).values_list("pk", "title")
        )
        return paginator.get_paginated_response(
            TaskSerializer(tasks, many=True, context={"titles": titles}).data
        )


class TaskDetailView(APIView):
    @extend_schema(responses={200: TaskSerializer, **ERRORS}, summary="Một nhiệm vụ")
    def get(self, request: Request, task_id: int) -> Response:
        return Response(
            TaskSerializer(services.task_get_open(user=request.user, task_id=task_id)).data
        )


class TaskCompleteView(APIView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        request=CompleteSerializer,
        parameters=[
            OpenApiParameter(
                "expand",
                str,
                enum=["plan"],
                required=False,
                description="“plan”: add the whole plan (plan_detail) to the answer.",
            )
        ],
        responses={200: CompletionSerializer, **ERRORS},
        summary="Hoàn thành nhiệm vụ bằng một thao tác",
    )
    def post(self, request: Request, task_id: int) -> Response:
        body = CompleteSerializer(data=request.data)
        if not body.is_valid():
            reasons = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in body.errors.items())
            raise InvalidInput(f"Thiếu “action”, hoặc “comment”/“data” không hợp lệ ({reasons}).")
        key = idempotency_key(request)
        if key is not None and (replay := idempotent_replay(request, key)) is not None:
            return replay
        kept: dict[str, Any] = {}
        expand = request.query_params.get("expand", "").split(",")

        def keep_answer(completion: services.Completion) -> None:
            kept["body"] = completion_answer(completion, expand_plan="plan" in expand)
            if key is not None:
                services.idempotent_request_record(
                    user=request.user,
                    key=key,
                    fingerprint=request_fingerprint(request),
                    status_code=200,
                    body=kept["body"],
                )

        try:
            services.task_complete(
                task_id=task_id,
                actor=request.user,
                action=body.validated_data["action"],
                comment=body.validated_data.get("comment", ""),
                data=body.validated_data.get("data"),
                on_done=keep_answer,
            )
        except StateError:
            # The same request, made at the same time, got there first and kept its answer.
            if key is not None and (replay := idempotent_replay(request, key)) is not None:
                return replay
            raise
        return Response(kept["body"])


IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,100}")


def idempotency_key(request: Request) -> str | None:
    """The request's `Idempotency-Key` header (1-100 visible ASCII characters), if any."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidInput(
            "Idempotency-Key phải gồm 1 đến 100 ký tự ASCII nhìn thấy được (ví dụ một UUID).",
            code="invalid_idempotency_key",
        )
    return key


def request_fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent_replay(request: Request, key: str) -> Response | None:
    """The answer already given to `key`, or None; a different request under the same key is a
    conflict."""
    previous = services.idempotent_request_get(user=request.user, key=key)
    if previous is None:
        return None
    if previous.fingerprint != request_fingerprint(request):
        raise StateError(
            "Idempotency-Key này đã được dùng cho một yêu cầu khác.", code="idempotency_key_reused"
        )
    response = Response(previous.body, status=previous.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


class DocumentSubmitView(APIView):
    @extend_schema(
        request=None,
        responses={200: PlanDetailSerializer, **ERRORS},
        summary="Trình dự thảo lên lãnh đạo đơn vị (bắt đầu quy trình)",
    )
    def post(self, request: Request, plan_id: int) -> Response:
        plan = document_selectors.plan_get_visible(user=request.user, plan_id=plan_id)
        plan = services.plan_submit(plan=plan, actor=request.user)
        return Response(PlanDetailSerializer(plan).data)


class WithdrawSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_COMMENT,
        help_text="Lý do rút (bắt buộc sau khi đã trình).",
    )


class SignerChangeSerializer(serializers.Serializer):
    signer_id = serializers.IntegerField(
        min_value=1, help_text="Người ký mới (GET /api/v1/people/?can_sign=true)."
    )
    reason = serializers.CharField(max_length=MAX_COMMENT, help_text="Lý do giao ký / nhận lại.")


class LegalReviewSerializer(serializers.Serializer):
    requested = serializers.BooleanField(
        default=True, help_text="Người soạn thảo đề nghị (true) hoặc thôi đề nghị (false)."
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)


class DocumentLegalReviewView(APIView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        request=LegalReviewSerializer,
        responses={200: PlanDetailSerializer, **ERRORS},
        summary="Đề nghị Sở Tư pháp thẩm định (người soạn thảo, trước bước thẩm tra)",
    )
    def post(self, request: Request, plan_id: int) -> Response:
        plan = document_selectors.plan_get_visible(user=request.user, plan_id=plan_id)
        body = LegalReviewSerializer(data=request.data if isinstance(request.data, dict) else {})
        if not body.is_valid():
            raise InvalidInput("“requested” phải là true hoặc false.")
        plan = documents.plan_legal_review_request(
            plan=plan,
            actor=request.user,
            requested=body.validated_data["requested"],
            comment=body.validated_data.get("comment", ""),
        )
        return Response(PlanDetailSerializer(services.task_plan_of(plan.pk)).data)


class DocumentWithdrawView(APIView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        request=WithdrawSerializer,
        responses={200: PlanDetailSerializer, **ERRORS},
        summary="Rút văn bản (người soạn thảo, trước khi ký): đóng mọi nhiệm vụ đang mở",
    )
    def post(self, request: Request, plan_id: int) -> Response:
        plan = document_selectors.plan_get_visible(user=request.user, plan_id=plan_id)
        body = WithdrawSerializer(data=request.data if isinstance(request.data, dict) else {})
        if not body.is_valid():
            raise InvalidInput("Lý do rút không hợp lệ.")
        plan = services.plan_withdraw(
            plan=plan, actor=request.user, comment=body.validated_data.get("comment", "")
        )
        return Response(PlanDetailSerializer(plan).data)


class DocumentSignerView(APIView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        request=SignerChangeSerializer,
        responses={200: PlanDetailSerializer, **ERRORS},
        summary="Chủ tịch giao ký cho Phó Chủ tịch (KT. CHỦ TỊCH) hoặc nhận lại việc ký",
    )
    def post(self, request: Request, plan_id: int) -> Response:
        plan = document_selectors.plan_get_visible(user=request.user, plan_id=plan_id)
        body = SignerChangeSerializer(data=request.data if isinstance(request.data, dict) else {})
        if not body.is_valid():
            raise InvalidInput("Thiếu người ký (signer_id) hoặc lý do (reason).")
        plan = services.plan_signer_change(
            plan=plan,
            actor=request.user,
            signer_id=body.validated_data["signer_id"],
            reason=body.validated_data["reason"],
        )
        return Response(PlanDetailSerializer(plan).data)
