"""A client generated from the OpenAPI schema: it knows operations only by their operationId, checks
each request body against the schema before sending it, and each answer against the schema of its
status. If the schema does not describe what the API takes or gives, a walk with it fails."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012 as _SPEC
from rest_framework.test import APIClient

BASE = "urn:kehoach-api"


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 → JSON Schema: `nullable` becomes a "null" alternative."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"] if isinstance(node["type"], str) else node["type"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


def _pointer(*parts: str) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


class SchemaClient:
    def __init__(self, schema: dict[str, Any], token: str) -> None:
        self.schema = schema
        document = _json_schema(schema)
        self.registry = Registry().with_resource(
            BASE, Resource.from_contents(document, default_specification=_SPEC)
        )
        self.http = APIClient()
        self.http.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        self.operations = {
            operation["operationId"]: (path, method)
            for path, methods in schema["paths"].items()
            for method, operation in methods.items()
            if isinstance(operation, dict) and "operationId" in operation
        }

    def _validate(self, instance: Any, *pointer: str) -> None:
        validator = Draft202012Validator(
            {"$ref": f"{BASE}#{_pointer(*pointer)}"}, registry=self.registry
        )
        errors = sorted(validator.iter_errors(instance), key=str)
        assert not errors, (
            f"{'/'.join(pointer)}: {errors[0].message} at {list(errors[0].absolute_path)}"
        )

    def call(
        self,
        operation_id: str,
        *,
        path: dict[str, Any] | None = None,
        body: Any = None,
        query: dict[str, Any] | None = None,
        expect: int | None = None,
    ) -> Any:
        """Call `operation_id`; the body is JSON; returns the decoded answer (or bytes)."""
        assert operation_id in self.operations, f"no operation {operation_id} in the schema"
        template, method = self.operations[operation_id]
        operation = self.schema["paths"][template][method]
        url = template.format(**(path or {}))
        if body is not None:
            assert "requestBody" in operation, f"{operation_id} takes no body"
            self._validate(
                body,
                "paths",
                template,
                method,
                "requestBody",
                "content",
                "application/json",
                "schema",
            )
        response = getattr(self.http, method)(
            url, body if body is not None else query, format="json" if body is not None else None
        )
        status = str(response.status_code)
        assert status in operation["responses"], (
            f"{operation_id}: status {status} is not documented"
        )
        if expect is not None:
            assert response.status_code == expect, (
                operation_id,
                response.status_code,
                response.content[:800],
            )
        content = operation["responses"][status].get("content", {})
        kind = response["Content-Type"].split(";")[0] if response.content else ""
        if kind == "application/json":
            assert "application/json" in content, f"{operation_id} {status}: JSON not documented"
            data = json.loads(response.content)
            self._validate(
                data,
                "paths",
                template,
                method,
                "responses",
                status,
                "content",
                "application/json",
                "schema",
            )
            return data
        if kind:
            assert kind in content, f"{operation_id} {status}: {kind} not documented"
        return response.content
