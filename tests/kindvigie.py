"""A Vigie polling sources of the new kinds against the local fakes (tests/fakes)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from bot._poller import PollResult
from bot.app import Vigie, make_vigie
from bot.config import validate
from bot.types import SourceState

#: The founding topics.
TOPICS = {
    "gpu": {"name": "GPU", "keywords": ["GPU", "processeur graphique"]},
    "iagen": {"name": "IA générative", "keywords": ["IA générative", "generative AI"]},
    "musk": {"name": "Musk", "keywords": ["Musk"]},
}


def kind_config(tmp_path: Path, sources: Sequence[Mapping[str, Any]],
                kinds: Mapping[str, Mapping[str, Any]], **extra: Any) -> Any:
    """A validated configuration: loopback allowed (the fakes), alerts on the first poll."""
    return validate({
        "storage": {"url": f"sqlite:///{tmp_path / 'vigie.db'}"},
        "fetch": {"allow_private_addresses": True, "timeout": "10s"},
        "poll": {"first_poll_alerts": True},
        "kinds": dict(kinds), "sources": list(sources), "topics": TOPICS,
        "subscriptions": [{"name": "newsroom", "topics": list(TOPICS)}],
        **extra,
    }, env={})


@contextlib.asynccontextmanager
async def kind_vigie(tmp_path: Path, sources: Sequence[Mapping[str, Any]],
                     kinds: Mapping[str, Mapping[str, Any]], **extra: Any
                     ) -> AsyncIterator[Vigie]:
    async with make_vigie(kind_config(tmp_path, sources, kinds, **extra)) as vigie:
        yield vigie


async def poll(vigie: Vigie, name: str, **options: Any) -> tuple[PollResult, SourceState]:
    """Poll one source; its result and stored state."""
    source = vigie.config.source(name)
    assert source is not None
    result = await vigie.poller.poll(source, **options)
    state = await vigie.store.get_source(name)
    assert state is not None
    return result, state


async def stored_titles(vigie: Vigie) -> list[str]:
    from datetime import UTC, datetime, timedelta

    recent = await vigie.store.recent(topics=None, since=datetime.now(UTC) - timedelta(days=30),
                                      limit=1000)
    return sorted(s.item.title for s in recent)
