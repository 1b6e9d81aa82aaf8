"""`{% signing_agent_url %}`: where the signing pages look for the signing agent (settings)."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def signing_agent_url() -> str:
    """settings.SIGNING_AGENT_URL: the agent on the signer's computer, on 127.0.0.1."""
    return getattr(settings, "SIGNING_AGENT_URL", "").rstrip("/")
