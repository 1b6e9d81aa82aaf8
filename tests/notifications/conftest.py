from collections.abc import AsyncIterator

import pytest
from channels.layers import get_channel_layer

from agencies.models import User


@pytest.fixture
def user(db: None) -> User:
    return User.objects.create_user(username="chuyenvien", password="x", full_name="Nguyễn Văn An")


@pytest.fixture
def other_user(db: None) -> User:
    return User.objects.create_user(username="vanthu", password="x", full_name="Trần Thị Bình")


@pytest.fixture
def token(user: User) -> str:
    """An API token key of `user` (agencies.services.api_token_create)."""
    from agencies.services import api_token_create

    return api_token_create(user=user)[1]


@pytest.fixture
async def channel_layer() -> AsyncIterator[object]:
    """The in-memory layer of the test settings, emptied after each test."""
    layer = get_channel_layer()
    yield layer
    await layer.flush()
