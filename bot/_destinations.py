"""Finding the adapter for a destination string, through entry points.

The core never imports a platform adapter: ``discord:123`` is handed to
whatever package registered the ``discord`` scheme under the
``vigie.destinations`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points

from ._types import Destination, DestinationAdapter
from .config import Config, SectionValidator
from .exceptions import UnknownDestinationError

ENTRY_POINT_GROUP = "vigie.destinations"

AdapterFactory = Callable[[Config], DestinationAdapter]


def installed_schemes() -> frozenset[str]:
    """The destination schemes installed adapters provide."""
    return frozenset(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))


def section_validators() -> dict[str, SectionValidator]:
    """Validators of the configuration tables adapters own, by table name.

    An adapter factory with a ``validate_settings(table)`` callable owns the
    top-level table named after its scheme (``[discord]`` for ``discord``).
    """
    out: dict[str, SectionValidator] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        check = getattr(ep.load(), "validate_settings", None)
        if callable(check):
            out[ep.name] = check
    return out


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
            eps = entry_points(group=ENTRY_POINT_GROUP, name=scheme)
            if not eps:
                raise UnknownDestinationError(f"no adapter installed for {scheme!r} destinations")
            factory: AdapterFactory = next(iter(eps)).load()
            adapter = self._adapters[scheme] = factory(self._config)
        dest = self._destinations[destination] = adapter.destination(target)
        return dest

    async def close(self) -> None:
        for adapter in self._adapters.values():
            await adapter.close()
        self._adapters.clear()
        self._destinations.clear()
