"""API: who am I, and the directory of units."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Unit, User
from .selectors import unit_list_active


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "code", "name", "short_name", "abbreviation", "kind"]


class MeSerializer(serializers.ModelSerializer):
    unit = UnitSerializer(read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "role", "role_display", "position", "unit"]


class MeView(APIView):
    @extend_schema(responses=MeSerializer, summary="Người dùng hiện tại")
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class UnitListView(APIView):
    @extend_schema(responses=UnitSerializer(many=True), summary="Danh mục đơn vị")
    def get(self, request: Request) -> Response:
        return Response(UnitSerializer(unit_list_active(), many=True).data)
