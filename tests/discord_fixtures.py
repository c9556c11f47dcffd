"""Fixtures shared by the Discord test modules (imported by name into each)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from fakes.discord_server import FakeDiscord

from adapters.discord.settings import configure_endpoints, current_endpoints


@pytest.fixture(autouse=True)
def restore_endpoints() -> Iterator[None]:
    """discord.py's endpoints are process-wide: put them back after each test."""
    saved = current_endpoints()
    yield
    configure_endpoints(*saved)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A running fake Discord."""
    async with FakeDiscord() as f:
        yield f
