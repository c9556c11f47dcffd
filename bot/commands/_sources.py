"""Source commands, for admins: sources add, remove, list and test.

``sources add`` and ``sources test`` take a feed URL, or a kind (see
:data:`bot._sources.KINDS`) and what it watches; each kind's keys are
options, derived from the kinds, and a source typed here is judged by the
same :func:`bot.config.make_source` as a configured one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import inspect
import ipaddress
import re
import socket
import typing
from collections.abc import Mapping
from urllib.parse import urlsplit

from .._lang import normalize_language_tag
from .._sources import FEED, KINDS, Key, SourceSpec, kind_for_url
from .._types import ChatSource
from ..config import MAX_INTERVAL, MIN_INTERVAL, SourceConfig, make_source, parse_duration
from ..exceptions import CommandDeclarationError, CommandError, InvalidValueError, SourceError
from ..netguard import check_url, is_public_address
from ..replies import Fields, Heading, Reply, Text
from ._call import Call, show
from ._declare import COMMANDS, MAX_DESCRIPTION, Handler
from ._params import Int, Param
from ._params import Text as TextParam
from ._topics import ID_RE

#: A source added from chat is polled this often unless ``--interval`` says otherwise.
DEFAULT_INTERVAL = 600.0
MAX_URL_CHARS = 2000

_SOURCE = TextParam("source", "Source name or feed URL", complete="source",
                    metavar="name | url")
_KIND_NAMES = ", ".join(k for k in KINDS if k != FEED.name)
_WHAT = TextParam("what", "The kind's search, r/subreddit, channel or @account; or a feed's name",
                  required=False)
_LANG = TextParam("lang", "The items' language (fr, en …); a Google News edition", option=True,
                  metavar="fr")


def _kind_params() -> tuple[Param, ...]:
    """One ``--<key>`` option per key of the kinds (``--query``, ``--points`` …),
    derived from :data:`bot._sources.KINDS`."""
    keys: dict[str, list[tuple[str, Key]]] = {}
    for kind in KINDS.values():
        for key in kind.keys:
            if kind is not FEED:
                keys.setdefault(key.name, []).append((kind.name, key))
    params: list[Param] = []
    for name, owners in keys.items():
        key = owners[0][1]
        if any(k.type is not key.type for _, k in owners):
            raise CommandDeclarationError(f"kind key {name!r} has two types")
        described = key.help if len(owners) == 1 else \
            f"{'/'.join(k for k, _ in owners)}: {key.help}"
        described = described if len(described) <= MAX_DESCRIPTION else \
            described[:MAX_DESCRIPTION - 1] + "…"
        if key.type is int:
            params.append(Int(name, described, option=True, minimum=key.minimum,
                              maximum=key.maximum, metavar="N"))
        else:
            params.append(TextParam(name, described, option=True,
                                    max_length=key.max_length))
    return tuple(params)


#: The kinds' keys as options of ``sources add`` and ``sources test``.
KIND_PARAMS = _kind_params()


def _taking_kind_options(handler: Handler) -> Handler:
    """``handler`` (which takes the kinds' options as ``**keys``) with a
    signature that lists them, as command declarations require."""
    signature = inspect.signature(handler)
    fixed = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    hints = {k: v for k, v in typing.get_type_hints(handler).items() if k != "keys"}

    @functools.wraps(handler)
    async def taking(call: Call, **arguments: object) -> Reply:
        return await handler(call, **arguments)

    taking.__signature__ = signature.replace(parameters=[  # type: ignore[attr-defined]
        *fixed, *(inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY,
                                    annotation=p.value_type) for p in KIND_PARAMS)])
    taking.__annotations__ = {**hints, **{p.name: p.value_type for p in KIND_PARAMS}}
    return taking


COMMANDS.group("sources", "Manage the watched sources; `test` shows what one would match now")


@COMMANDS.command(
    "sources add", summary="Watch a feed, a search or an account", admin=True,
    details=f"A feed URL (or a site's), or a kind and what it watches: {_KIND_NAMES}. "
            "Each kind's own keys are options (`--points 50`, `--instance mastodon.social`).",
    examples=("sources add https://www.numerama.com/feed/ numerama",
              'sources add google-news "IA générative" --lang fr', "sources add reddit r/nvidia",
              "sources add hackernews GPU --points 20"), params=(
        TextParam("source", f"Feed URL, or a kind: {_KIND_NAMES}", metavar="url | kind"),
        _WHAT,
        TextParam("name", "A short name for it", option=True),
        TextParam("interval", "How often to poll it, e.g. 10m (default), 1h; at least 10s",
                  option=True, metavar="10m"),
        _LANG, *KIND_PARAMS,
    ))
@_taking_kind_options
async def sources_add(call: Call, *, source: str, what: str | None, name: str | None,
                      interval: str | None, lang: str | None, **keys: object) -> Reply:
    # Cheap checks first: a bad interval is refused before any DNS lookup.
    seconds = DEFAULT_INTERVAL
    if interval is not None:
        try:
            # The same range as a configured source's interval.
            seconds = parse_duration(interval, at_least=MIN_INTERVAL, at_most=MAX_INTERVAL)
        except InvalidValueError as e:
            raise CommandError(f"--interval {e}") from None
    made = await _source(call, source, what, lang, keys, interval=seconds, name=name)
    if not ID_RE.match(made.name):
        raise CommandError("source names use letters, digits, '-', '_' or '.' (at most 64)")
    if call.ctx.engine.config.source(made.name) is not None:
        raise CommandError(f"a source named {made.name!r} exists already",
                           hint="give another name with --name")
    added = await call.chat.add_source(
        ChatSource(made.name, call.tenant, made.url, seconds, made.kind, made.options,
                   made.language),
        call.entry("sources add", made.name, None, describe(made)))
    if not added:
        raise CommandError(f"a source named {made.name!r} exists already")
    await call.refresh()
    return Reply.text(f"Added source {made.name} ({describe(made)}), polled every "
                      f"{seconds / 60:g} min. `sources test {made.name}` shows what it would "
                      "match now.")


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
        elif state.last_error:
            status = f"ok, but the last poll {state.last_error}"
        else:
            status = "ok"
        pairs.append((cfg.name, f"{describe(cfg)} · every {cfg.interval / 60:g} min · {status}"))
    return Reply((Heading("Sources"), Fields(tuple(pairs))))


@COMMANDS.command(
    "sources test", summary="What a source would match right now", admin=True,
    details="A source's name, a feed URL, or a kind and what it watches, as for `sources add`.",
    examples=("sources test numerama", "sources test hackernews GPU"),
    params=(_SOURCE, _WHAT, _LANG, *KIND_PARAMS))
@_taking_kind_options
async def sources_test(call: Call, *, source: str, what: str | None, lang: str | None,
                       **keys: object) -> Reply:
    try:
        if what is None and lang is None and not any(v is not None for v in keys.values()) \
                and call.ctx.engine.config.source(source) is not None:
            explained = await call.ctx.engine.explain_url(source)
        else:
            made = await _source(call, source, what, lang, keys, interval=DEFAULT_INTERVAL)
            explained = await call.ctx.engine.explain_source(made)
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


def describe(source: SourceConfig) -> str:
    """A source in a few words: a feed's URL, else its kind and keys."""
    if source.kind == FEED.name:
        return source.url
    keys = " ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}"
                    for k, v in source.options.items())
    language = f" ({source.language})" if source.language else ""
    return f"{source.kind} {keys}{language}"


async def _source(call: Call, source: str, what: str | None, lang: str | None,
                  keys: Mapping[str, object], *, interval: float, name: str | None = None
                  ) -> SourceConfig:
    """The source typed in chat (``source`` is a URL or a kind, ``what``
    what the kind watches, ``keys`` its options), checked as a configured
    one is, its address too (:func:`_check_source_url`). Raises
    :class:`CommandError` saying what is wrong."""
    kinds = call.ctx.engine.config.kinds
    kind = KINDS.get(source.lower())
    given = {k: v for k, v in keys.items() if v is not None}
    if kind is None or kind is FEED:
        if not re.match(r"(?i)[a-z][a-z0-9+.-]*://", source):
            raise CommandError(f"{show(source, 40)!r} is neither a URL nor a kind of source",
                               hint=f"kinds: {_KIND_NAMES}")
        await _check_source_url(call, source)
        kind, found = kind_for_url(source, kinds)
        # `sources add <url> <name>`, as before kinds.
        name = name or (what if kind is FEED else None)
    else:
        if what is None and not given:
            raise CommandError(f"`sources add {kind.name}` needs {kind.chat_what}",
                               hint=f"e.g. `sources add {kind.name} …`")
        found = kind.from_chat(what) if what is not None else {}
    foreign = sorted(set(given) - {k.name for k in kind.keys})
    if foreign:
        raise CommandError(f"--{foreign[0]} is not an option of {kind.name} sources",
                           hint=f"its options: {', '.join('--' + k.name for k in kind.keys)}")
    language = None
    if lang is not None:
        language = normalize_language_tag(lang)
        if language is None:
            raise CommandError(f"--lang: {show(lang, 20)!r} is not a language code")
    made = make_source(name or "source", kind.name, {**found, **given}, interval=interval,
                       language=language, kinds=kinds)
    if not isinstance(made, SourceConfig):
        key, message = made[0]
        # A key typed as an option, or missing, is named as the option to give.
        option = "" if not key else f"{key}: " if key in found else f"--{key}: "
        raise CommandError(f"{option}{message}")
    if name is None:
        default = _name_from_url(made.url) if kind is FEED else \
            kind.default_name(SourceSpec(made.options, language))
        made = dataclasses.replace(made, name=default)
    if made.url != source:
        await _check_source_url(call, made.url)
    return made


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
