"""Finding the adapter for a destination string, through entry points.

The core never imports a platform adapter: ``discord:123`` is handed to
whatever package registered the ``discord`` scheme under the
``vigie.destinations`` entry-point group (see :mod:`bot.plugins`).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from .config import Config
from .exceptions import UnknownDestinationError
from .plugins import (
    CHAT_GROUP,
    DESTINATIONS_GROUP,
    AdapterFactory,
    ChatConfigured,
    Destination,
    DestinationAdapter,
    DestinationCheck,
    SectionValidator,
)


def installed_schemes() -> frozenset[str]:
    """The destination schemes installed adapters provide."""
    return frozenset(ep.name for ep in entry_points(group=DESTINATIONS_GROUP))


def make_adapter(scheme: str, config: Config) -> DestinationAdapter:
    """The installed adapter of ``scheme``, made for ``config``.

    Raises :class:`UnknownDestinationError` when no adapter handles the scheme.
    """
    eps = entry_points(group=DESTINATIONS_GROUP, name=scheme)
    if not eps:
        raise UnknownDestinationError(f"no adapter installed for {scheme!r} destinations")
    factory: AdapterFactory = next(iter(eps)).load()
    return factory(config)


def section_validators() -> dict[str, SectionValidator]:
    """Validators of the configuration tables adapters own, by table name.

    An adapter factory with a ``settings_problems(table)`` callable owns the
    top-level table named after its scheme (``[discord]`` for ``discord``).
    """
    return _factory_hooks("settings_problems")


def destination_checks() -> dict[str, DestinationCheck]:
    """What ``vigie check`` asks each destination adapter, by scheme: an
    adapter factory with a ``config_problems(config, target)`` callable says
    what a destination of its scheme lacks (see :data:`bot.config.DestinationCheck`)."""
    return _factory_hooks("config_problems")


def _factory_hooks(attribute: str) -> dict[str, Any]:
    """The callable ``attribute`` of each installed adapter factory that has one, by scheme."""
    out: dict[str, Any] = {}
    for ep in entry_points(group=DESTINATIONS_GROUP):
        hook = getattr(ep.load(), attribute, None)
        if callable(hook):
            out[ep.name] = hook
    return out


def installed_chat_platforms() -> frozenset[str]:
    """The chat platforms installed (``vigie.chat`` entry points)."""
    return frozenset(ep.name for ep in entry_points(group=CHAT_GROUP))



def chat_platforms(config: Config) -> frozenset[str]:
    """The chat platforms ``config`` sets up: installed, with their table in
    the configuration, and (when the table's owner, the destination adapter
    of the same name, has a ``chat_configured(table)`` callable) a table
    that runs a chat bot rather than only webhooks."""
    checks: dict[str, ChatConfigured] = _factory_hooks("chat_configured")
    return frozenset(
        name for name in installed_chat_platforms()
        if name in config.adapters
        and (name not in checks or checks[name](config.adapters[name])))


def split_destination(destination: str) -> tuple[str, str]:
    """``"discord:123"`` → ``("discord", "123")``; ``"console"`` → ``("console", "")``."""
    scheme, _, target = destination.partition(":")
    return scheme, target


class Destinations:
    """Resolves destination strings to destinations, creating each adapter once."""

    def __init__(
        self, config: Config, *, adapters: Mapping[str, DestinationAdapter] | None = None
    ) -> None:
        self._config = config
        #: Adapters already made, by scheme; callers may pass their own (tests, CLI).
        self._adapters: dict[str, DestinationAdapter] = dict(adapters or {})
        self._destinations: dict[str, Destination] = {}

    def get(self, destination: str) -> Destination:
        """The destination for ``destination``.

        Raises :class:`UnknownDestinationError` when no adapter handles its scheme.
        """
        if destination in self._destinations:
            return self._destinations[destination]
        scheme, target = split_destination(destination)
        adapter = self._adapters.get(scheme)
        if adapter is None:
            adapter = self._adapters[scheme] = make_adapter(scheme, self._config)
        dest = self._destinations[destination] = adapter.destination(target)
        return dest

    async def close(self) -> None:
        for adapter in self._adapters.values():
            await adapter.close()
        self._adapters.clear()
        self._destinations.clear()
