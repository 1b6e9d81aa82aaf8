from collections.abc import AsyncIterator

import pytest
from channels.layers import get_channel_layer
from rest_framework.authtoken.models import Token

from agencies.models import User


@pytest.fixture
def user(db: None) -> User:
    return User.objects.create_user(username="chuyenvien", password="x", full_name="Nguyễn Văn An")


@pytest.fixture
def other_user(db: None) -> User:
    return User.objects.create_user(username="vanthu", password="x", full_name="Trần Thị Bình")


@pytest.fixture
def token(user: User) -> Token:
    return Token.objects.create(user=user)


@pytest.fixture
async def channel_layer() -> AsyncIterator[object]:
    """The in-memory layer of the test settings, emptied after each test."""
    layer = get_channel_layer()
    yield layer
    await layer.flush()
