"""Amounts in đồng on pages: {{ amount|vnd }} → "150.000.000 đồng"."""

from __future__ import annotations

from typing import Any

from django import template

from documents.rendering import format_vnd

register = template.Library()


@register.filter
def vnd(amount: Any) -> str:
    return format_vnd(amount) if isinstance(amount, int) else ""
