"""Source commands, for admins: sources add, remove, list and test."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from urllib.parse import urlsplit

from .._types import ChatSource
from ..config import MAX_INTERVAL, MIN_INTERVAL, parse_duration
from ..exceptions import CommandError, InvalidValueError, SourceError
from ..netguard import check_url, is_public_address
from ..replies import Fields, Heading, Reply, Text
from ._call import Call, show
from ._declare import COMMANDS
from ._params import Text as TextParam
from ._topics import ID_RE

#: A source added from chat is polled this often unless ``--interval`` says otherwise.
DEFAULT_INTERVAL = 600.0
MAX_URL_CHARS = 2000

_SOURCE = TextParam("source", "Source name or feed URL", complete="source",
                    metavar="name | url")

COMMANDS.group("sources", "Manage the watched feeds; `test` shows what a feed would match now")


@COMMANDS.command(
    "sources add", summary="Watch a new feed (or a site's feed)", admin=True,
    examples=("sources add https://www.numerama.com/feed/ numerama",), params=(
        TextParam("url", "Feed or site URL (http or https)"),
        TextParam("name", "A short name for it", required=False),
        TextParam("interval", "How often to poll it, e.g. 10m (default), 1h; at least 10s",
                  option=True, metavar="10m"),
    ))
async def sources_add(call: Call, *, url: str, name: str | None, interval: str | None
                      ) -> Reply:
    # Cheap checks first: a bad interval is refused before any DNS lookup.
    seconds = DEFAULT_INTERVAL
    if interval is not None:
        try:
            # The same range as a configured source's interval.
            seconds = parse_duration(interval, at_least=MIN_INTERVAL, at_most=MAX_INTERVAL)
        except InvalidValueError as e:
            raise CommandError(f"--interval {e}") from None
    url = await _check_source_url(call, url)
    name = name or _name_from_url(url)
    if not ID_RE.match(name):
        raise CommandError("source names use letters, digits, '-', '_' or '.' (at most 64)")
    if call.ctx.engine.config.source(name) is not None:
        raise CommandError(f"a source named {name!r} exists already",
                           hint="give another name after the URL")
    added = await call.chat.add_source(ChatSource(name, call.tenant, url, seconds),
                                       call.entry("sources add", name, None, url))
    if not added:
        raise CommandError(f"a source named {name!r} exists already")
    await call.refresh()
    return Reply.text(f"Added source {name} ({url}), polled every {seconds / 60:g} min. "
                      f"`sources test {name}` shows what it would match now.")


@COMMANDS.command("sources remove", summary="Stop watching a source", admin=True,
                  params=(TextParam("source", "Source name", complete="source", metavar="name"),))
async def sources_remove(call: Call, *, source: str) -> Reply:
    removed = await call.chat.remove_source(call.tenant, source,
                                            call.entry("sources remove", source))
    if not removed:
        if call.ctx.file.source(source):
            raise CommandError(f"source {source!r} comes from the configuration file")
        raise CommandError(f"no source {show(source, 40)!r} added from this workspace")
    await call.refresh()
    return Reply.text(f"Removed source {source}.")


@COMMANDS.command("sources list", summary="Every source and its health", admin=True,
                  examples=("sources list",))
async def sources_list(call: Call) -> Reply:
    health = await call.ctx.engine.source_health()
    if not health:
        return Reply.text("No sources yet: `sources add https://example.org/feed`.")
    pairs = []
    for cfg, state in health:
        if state is None or state.last_poll is None:
            status = "not polled yet"
        elif not state.enabled:
            status = f"disabled: {state.disabled_reason or 'unknown reason'}"
        elif state.consecutive_failures:
            status = f"failing ({state.consecutive_failures}×): {state.last_error}"
        else:
            status = "ok"
        pairs.append((cfg.name, f"{cfg.url} · every {cfg.interval / 60:g} min · {status}"))
    return Reply((Heading("Sources"), Fields(tuple(pairs))))


@COMMANDS.command("sources test", summary="What a source would match right now", admin=True,
                  examples=("sources test numerama",), params=(_SOURCE,))
async def sources_test(call: Call, *, source: str) -> Reply:
    if call.ctx.engine.config.source(source) is None:
        await _check_source_url(call, source)
    try:
        explained = await call.ctx.engine.explain_url(source)
    except SourceError as e:
        raise CommandError(f"cannot read {show(source, 60)}: {e.user_message}") from None
    matched = [ex for ex in explained if ex.match.topics or ex.match.subscriptions]
    blocks: list[Heading | Text | Fields] = [
        Heading(f"Test of {show(source, 60)}"),
        Text(f"{len(explained)} items, {len(matched)} would match now.")]
    pairs = []
    for ex in matched[:10]:
        topics = ", ".join(call.topic_name(t) for t in ex.match.topics) or "a query"
        pairs.append((show(ex.item.title, 100) or "(no title)",
                      f"{topics} · matched {', '.join(ex.match.matched_terms)}"))
    if pairs:
        blocks.append(Fields(tuple(pairs)))
    return Reply(tuple(blocks))


async def _check_source_url(call: Call, url: str) -> str:
    """Refuse non-http(s) URLs and, unless allowed, internal addresses."""
    if len(url) > MAX_URL_CHARS:
        raise CommandError(f"that URL is longer than {MAX_URL_CHARS:,} characters")
    allow = call.ctx.allow_private_addresses
    try:
        check_url(url, allow_private=allow)
    except SourceError as e:
        raise CommandError(f"refused: {e.user_message}") from None
    host = urlsplit(url).hostname or ""
    # Literal addresses were judged by check_url; names are resolved now
    # (and again at every fetch, where the resolver guards each connection).
    if not allow and not _is_ip(host):
        addresses = await _resolve(host)
        if not addresses:
            raise CommandError(f"cannot resolve {host!r}")
        if not all(is_public_address(a) for a in addresses):
            raise CommandError(f"refused: {host} resolves to a private, loopback or "
                               "link-local address")
    return url


def _name_from_url(url: str) -> str:
    host = (urlsplit(url).hostname or "source").lower()
    host = host.removeprefix("www.").removeprefix("feeds.")
    return re.sub(r"[^a-z0-9_.-]", "-", host)[:64].strip("-.") or "source"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def _resolve(host: str) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):  # UnicodeError: a name IDNA cannot encode
        return []
    return [str(info[4][0]) for info in infos]
