"""What commands may use: a narrow context, built once by :func:`bot.app.make_command_layer`.

Handlers never see the whole application: they get the effective
configuration, the file's own declarations, the chat store, item reading,
the outbox controls, the source probes, the clock and the admin policy, each
behind a small port.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from .._sources import KindSettings
from .._storage import ChatStore
from .._types import OutboxSummary, SearchTerm
from ..chat import Caller
from ..config import SourceConfig, SubscriptionConfig, TopicConfig
from ..types import SearchHit, SourceState, StoredItem

if TYPE_CHECKING:
    from ..app import Explained


class ConfigView(Protocol):
    """A configuration's topics, sources and subscriptions."""

    @property
    def topics(self) -> Sequence[TopicConfig]: ...

    @property
    def sources(self) -> Sequence[SourceConfig]: ...

    @property
    def subscriptions(self) -> Sequence[SubscriptionConfig]: ...

    @property
    def kinds(self) -> Mapping[str, KindSettings]: ...

    def topic(self, topic_id: str) -> TopicConfig | None: ...

    def source(self, name: str) -> SourceConfig | None: ...


class ItemReader(Protocol):
    """Stored items, for ``recent``, ``search`` and ``status``.

    Raises :class:`bot.exceptions.StorageError` when the database cannot be reached.
    """

    async def recent(self, *, topics: Sequence[str] | None, since: datetime, limit: int
                     ) -> list[StoredItem]: ...

    async def search(self, terms: Sequence[SearchTerm], *, since: datetime | None, limit: int
                     ) -> list[SearchHit]: ...

    async def count_items(self, *, since: datetime | None = None) -> int: ...


class OutboxControl(Protocol):
    """The outbox's state, and paused subscriptions brought back.

    Raises :class:`bot.exceptions.StorageError` when the database cannot be reached.
    """

    async def outbox_summary(self, *, failures: int = 5) -> OutboxSummary: ...

    async def paused_subscriptions(self) -> dict[str, str]: ...

    async def resume_subscription(self, name: str) -> bool: ...


class Engine(Protocol):
    """The running Vigie as commands see it: its effective configuration (the
    file's with the chat edits applied), and what it can tell about sources."""

    @property
    def config(self) -> ConfigView: ...

    async def refresh(self) -> bool:
        """Apply chat edits in this process now (others see the version bump)."""

    async def source_health(self) -> Sequence[tuple[SourceConfig, SourceState | None]]:
        """Each source of the effective configuration with its stored health."""

    async def explain_url(self, url: str) -> list[Explained]:
        """What a source (its name, a feed URL, or a service's URL) would match now.

        Raises :class:`bot.exceptions.SourceError` when it cannot be fetched or parsed.
        """

    async def explain_source(self, source: SourceConfig) -> list[Explained]:
        """What a source of any kind, configured or not, would match now.

        Raises :class:`bot.exceptions.SourceError` when it cannot be fetched or parsed.
        """


@dataclass(frozen=True)
class AdminPolicy:
    """Who administers Vigie besides the platform's own admins: the users and
    roles listed as ``admin_users`` / ``admin_roles`` in each platform's table."""

    #: Admin user ids, by platform ("discord", "slack" …).
    users: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: Admin role ids, by platform.
    roles: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_tables(cls, tables: Mapping[str, Mapping[str, Any]]) -> AdminPolicy:
        """The policy of the configuration's platform tables (``[discord]``, ``[slack]`` …)."""
        def ids(key: str) -> dict[str, frozenset[str]]:
            return {platform: frozenset(str(v) for v in table.get(key) or ())
                    for platform, table in tables.items() if isinstance(table, Mapping)}

        return cls(ids("admin_users"), ids("admin_roles"))

    def allows(self, caller: Caller) -> bool:
        """A platform admin, or a user or role listed for the caller's platform."""
        if caller.is_platform_admin:
            return True
        roles = self.roles.get(caller.platform, frozenset())
        return caller.user in self.users.get(caller.platform, frozenset()) or any(
            r in roles for r in caller.roles)


@dataclass(frozen=True)
class CommandContext:
    """Everything a command may use."""

    #: The running Vigie: effective configuration, refresh, source probes.
    engine: Engine
    #: The configuration file's own topics, sources and subscriptions (read-only from chat).
    file: ConfigView
    #: Chat edits and the audit log; None when this run has no database.
    chat: ChatStore | None
    #: Stored items.
    items: ItemReader
    #: The outbox.
    outbox: OutboxControl
    #: Who administers Vigie.
    admins: AdminPolicy
    #: The current time (UTC-aware).
    clock: Callable[[], datetime]
    #: Whether ``sources add`` may point at private addresses (``[fetch]``).
    allow_private_addresses: bool = False
