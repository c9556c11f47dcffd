"""The ``vigie`` command line: run, check, poll, explain, status, healthcheck."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from ._delivery import redact_destination
from ._destinations import (
    chat_platforms,
    destination_checks,
    installed_chat_platforms,
    installed_schemes,
    make_adapter,
    section_validators,
)
from ._dryrun import DryRunStore
from ._logs import configure_logging
from ._pipeline import ItemMatch
from ._poller import PollResult
from ._storage import make_store
from .app import Explained, Vigie, first_poll_note, make_command_layer, make_vigie
from .config import CONFIG_ENV, Config, idle_problems, load_config
from .exceptions import ConfigError, SourceError, UnknownDestinationError, VigieError
from .plugins import CHAT_GROUP, ChatRunner, ReplyRenderer, strip_control

log = logging.getLogger("vigie")

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="vigie", description="Vigie: news alerts for Discord, Slack and the console.")
    p.add_argument("--log-level", default=None,
                   choices=["debug", "info", "warning", "error"], help="logging verbosity")
    p.add_argument("--log-format", default="text", choices=["text", "json"],
                   help="log lines as text or as JSON objects, one per line")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def cmd(name: str, help: str) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help, description=help)
        c.add_argument("--config", metavar="FILE",
                       help=f"the TOML configuration (default: ${CONFIG_ENV})")
        return c

    cmd("run", "poll on schedule and deliver alerts until stopped")
    c = cmd("check", "validate the configuration; exit 2 listing every error")
    c.add_argument("--sources", action="store_true",
                   help="also fetch every source now and show its stored health")
    c = cmd("poll", "poll every enabled source, deliver, and exit")
    c.add_argument("--once", action="store_true", required=True,
                   help="poll once and exit (required: the scheduler is `vigie run`)")
    c.add_argument("--dry-run", action="store_true", help="record nothing and send nothing")
    c.add_argument("--format", choices=["text", "json"], default="text",
                   help="how to print the new matched items (json: one object per line)")
    c.add_argument("--backfill", action="store_true",
                   help="treat every item as new: no first-poll suppression, no age limit")
    c = cmd("explain", "show, item by item, which terms matched where and why others did not")
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("--url", help="a feed URL, a site URL, or a configured source name")
    g.add_argument("--text", help="text to match (first line: title, rest: summary)")
    cmd("status", "sources' health, items stored today and the outbox")
    c = cmd("chat", "type chat commands on standard input, one per line (Slack grammar)")
    c.add_argument("--as", dest="user", default=None, help="your user name (default: $USER)")
    c.add_argument("--admin", action="store_true", help="act as a workspace admin")
    c.add_argument("--channel", default="console", help="the channel you type in")
    cmd("healthcheck", "ask the running bot's /healthz ([metrics] port); exit 0 if healthy "
                       "(a container's HEALTHCHECK)")
    c = cmd("config", "work with the configuration")
    c.add_argument("action", choices=["export"],
                   help="export: print the effective topics, sources and subscriptions "
                        "(file + chat edits) as TOML")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    level = args.log_level or ("info" if args.command == "run" else "warning")
    configure_logging(level, args.log_format)
    # The scheduler and the migrations are chatty at info level.
    for chatty in ("apscheduler", "alembic"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.root.level))

    config_path = args.config or os.environ.get(CONFIG_ENV)
    if not config_path:
        print(f"vigie: no configuration: pass --config FILE or set {CONFIG_ENV}",
              file=sys.stderr)
        return EXIT_CONFIG
    try:
        config = load_config(config_path, destination_schemes=installed_schemes(),
                             section_validators=section_validators(),
                             destination_checks=destination_checks())
    except ConfigError as e:
        out = sys.stdout if args.command == "check" else sys.stderr
        for key, message in e.problems:
            print(f"{e.path}: {key}: {message}", file=out)
        return EXIT_CONFIG
    if args.command in ("check", "run"):
        # A bot with nothing to watch or nowhere to post is a mistake, unless
        # chat users can give it both.
        idle = idle_problems(config, chat_platforms(config), installed_chat_platforms())
        if args.command == "check":
            for key, message in idle:
                print(f"{config.path}: {key}: {message}")
        elif idle:
            print(f"vigie: not starting, the bot would be idle: {config.path}: "
                  + "; ".join(f"{key}: {message}" for key, message in idle), file=sys.stderr)
        if idle:
            return EXIT_CONFIG
    try:
        return asyncio.run(_dispatch(args, config))
    except KeyboardInterrupt:
        return 130
    except VigieError as e:
        print(f"vigie: {e.user_message}", file=sys.stderr)
        return EXIT_FAILURE


async def _dispatch(args: argparse.Namespace, config: Config) -> int:
    if args.command == "check":
        if not args.sources:
            print(f"{config.path}: ok ({len(config.sources)} sources, {len(config.topics)} "
                  f"topics, {len(config.subscriptions)} subscriptions)")
            return EXIT_OK
        async with make_vigie(config) as vigie:
            return await _check_sources(vigie)
    if args.command == "poll":
        return await _poll(args, config)
    if args.command == "explain":
        async with _explainer(config) as vigie:
            return await _explain(args, vigie)
    if args.command == "status":
        async with make_vigie(config) as vigie:
            return await _status(vigie)
    if args.command == "chat":
        async with make_vigie(config) as vigie:
            return await _chat(args, vigie)
    if args.command == "healthcheck":
        return _healthcheck(config)
    if args.command == "config":
        from ._toml import export_config

        async with make_vigie(config) as vigie:
            print(export_config(vigie.config), end="")
        return EXIT_OK
    async with make_vigie(config) as vigie:
        return await _run(vigie)


# -- run ---------------------------------------------------------------------


async def _run(vigie: Vigie) -> int:
    from importlib.metadata import entry_points

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    # Chat platforms plug in through entry points; each starts only if the
    # configuration sets it up, and all share one command layer.
    layer = make_command_layer(vigie)
    platforms = [ep for ep in entry_points(group=CHAT_GROUP)
                 if ep.name in vigie.config.adapters]
    failed = False

    async def platform(ep: Any) -> None:
        nonlocal failed
        try:
            run_chat: ChatRunner = ep.load()
            # Platforms that receive HTTP requests (Slack's HTTP mode) serve
            # them on Vigie's one public server, beside WebSub's callbacks.
            await run_chat(vigie.config, layer, stop, http=vigie.http)
        except VigieError as e:
            failed = True
            log.error("%s: %s", ep.name, e.user_message)
            stop.set()
        except Exception:
            # A platform that crashes stops the whole bot cleanly, with the cause logged.
            failed = True
            log.exception("%s stopped unexpectedly", ep.name)
            stop.set()

    await asyncio.gather(vigie.run(stop=stop), *(platform(ep) for ep in platforms))
    log.info("stopped")
    return EXIT_FAILURE if failed else EXIT_OK


# -- poll --------------------------------------------------------------------


async def _poll(args: argparse.Namespace, config: Config) -> int:
    if args.format == "json":
        # JSON goes to stdout for machines; console alerts must not mix into it.
        config = dataclasses.replace(
            config, console=dataclasses.replace(config.console, output="stderr"))
    store = DryRunStore.for_url(config.storage.url) if args.dry_run else None
    async with make_vigie(config, store=store) as vigie:
        results = await vigie.poll_all(backfill=args.backfill, dry_run=args.dry_run)
        for result in results:
            if result.error is not None:
                print(f"vigie: source {result.source}: {result.error.user_message}",
                      file=sys.stderr)
            elif result.first_poll and not config.poll.first_poll_alerts:
                print(f"vigie: {first_poll_note(result)}", file=sys.stderr)
            for m in result.matches:
                if args.format == "json":
                    print(json.dumps(match_json(m, result), ensure_ascii=False), flush=True)
                elif args.dry_run:
                    _print_match(m, sys.stdout)
        if not args.dry_run:
            # Sends what is due (due digests included); the rest waits for the next run.
            stats = await vigie.deliver()
            if stats.retried or stats.failed:
                print(f"vigie: {stats.sent} messages sent, {stats.retried} to retry, "
                      f"{stats.failed} failed", file=sys.stderr)
            for name in stats.paused:
                print(f"vigie: subscription {name} is paused (see `vigie status`)",
                      file=sys.stderr)
    return EXIT_OK


def match_json(m: ItemMatch, result: PollResult) -> dict[str, Any]:
    """One matched item of ``result`` as the ``poll --format json`` contract says."""
    item = m.item
    published = None
    if item.published is not None:
        published = item.published.isoformat().replace("+00:00", "Z")
    return {
        "source": item.source,
        "title": item.title,
        "url": item.url,
        "published": published,
        "language": item.language,
        "topics": list(m.topics),
        "matched": list(m.matched_terms),
        "subscriptions": list(m.subscriptions),
        "summary": item.lead,
        "alerted": item.key in result.alerted,
        "suppressed": result.suppressed.get(item.key),
    }


def _print_match(m: ItemMatch, out: TextIO) -> None:
    item = m.item
    print(f"[{strip_control(item.source)}] {strip_control(item.title)}", file=out)
    print(f"  topics: {', '.join(m.topics) or '-'} · matched: {', '.join(m.matched_terms)}"
          f" · subscriptions: {', '.join(m.subscriptions)}", file=out)
    if item.url:
        print(f"  {strip_control(item.url)}", file=out)


# -- explain -----------------------------------------------------------------


@contextlib.asynccontextmanager
async def _explainer(config: Config) -> Any:
    # Explaining reads and records nothing: an in-memory store is enough.
    vigie = make_vigie(config, store=make_store("sqlite:///:memory:"))
    await vigie.store.migrate()
    try:
        yield vigie
    finally:
        await vigie.close()


async def _explain(args: argparse.Namespace, vigie: Vigie) -> int:
    if args.text is not None:
        explained = [vigie.explain_text(args.text)]
    else:
        try:
            explained = await vigie.explain_url(args.url)
        except SourceError as e:
            print(f"vigie: {e.user_message}", file=sys.stderr)
            return EXIT_FAILURE
    if not explained:
        print("the feed has no items")
    for n, ex in enumerate(explained, 1):
        print(format_explained(n, ex, vigie.config))
    return EXIT_OK


def format_explained(n: int, ex: Explained, config: Config) -> str:
    """One item's explanation as text."""
    item = ex.item
    lines = [f"{n}. {strip_control(item.title) or '(no title)'}"]
    lines.append(f"   language: {item.language or 'unknown'}"
                 + (f" · {strip_control(item.url)}" if item.url else ""))
    for v in ex.report.verdicts:
        allowed: tuple[str, ...] = ("title", "summary", "content")
        if v.rule_id.startswith("query:"):
            label = f"subscription {v.rule_id[6:]} (query)"
        else:
            topic = config.topic(v.rule_id)
            label = f"topic {v.rule_id}" + (f" ({topic.name})" if topic and topic.name != v.rule_id
                                            else "")
            allowed = topic.fields if topic else allowed
        if v.matched:
            where = []
            for term in v.matched_terms:
                hits = [h for h in ex.report.hits if h.term == term and h.field in allowed]
                fields = sorted({h.field for h in hits})
                said = f'"{term}" in {", ".join(fields)}' if fields else f'"{term}"'
                if hits and all(h.tag for h in hits):
                    said += " (" + ", ".join(
                        f"in {'hashtag' if tag.startswith('#') else 'handle'} {strip_control(tag)}"
                        for tag in dict.fromkeys(h.tag for h in hits if h.tag)) + ")"
                where.append(said)
            lines.append(f"   ✔ {label}: matched {'; '.join(where)}")
        else:
            lines.append(f"   ✘ {label}: {'; '.join(v.reasons) or 'no match'}")
    if ex.match.subscriptions:
        dests = ", ".join(f"{a.destination}" for a in ex.match.alerts)
        lines.append(f"   → alerts {', '.join(ex.match.subscriptions)} (to {dests})")
    else:
        lines.append("   → no subscription matches")
    return "\n".join(lines)


# -- chat --------------------------------------------------------------------


async def _chat(args: argparse.Namespace, vigie: Vigie) -> int:
    """The console as a chat platform: one command per line, replies printed
    as the ``console`` destination adapter renders them."""
    from .chat import Caller

    console = make_adapter("console", dataclasses.replace(
        vigie.config, console=dataclasses.replace(vigie.config.console, output="stdout")))
    try:
        if not isinstance(console, ReplyRenderer):
            raise UnknownDestinationError("the installed console adapter cannot render replies")
        layer = make_command_layer(vigie)
        user = args.user or os.environ.get("USER") or "console"
        caller = Caller(platform="console", workspace="console", channel=args.channel,
                        user=user, user_name=user, is_platform_admin=args.admin,
                        destination="console")
        interactive = sys.stdin.isatty()
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                print("vigie> ", end="", flush=True)
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("/vigie"):
                line = line[len("/vigie"):].strip()
            reply = await layer.handle(caller, line)
            print(console.render_reply(reply), flush=True)
    finally:
        await console.close()
    return EXIT_OK


# -- health ------------------------------------------------------------------


def _healthcheck(config: Config) -> int:
    from ._health import probe

    if config.metrics.port is None:
        print(f"vigie: {config.path}: no [metrics] port: there is no /healthz to ask",
              file=sys.stderr)
        return EXIT_CONFIG
    ok, said = probe(config.metrics.address, config.metrics.port)
    print(said, file=sys.stdout if ok else sys.stderr)
    return EXIT_OK if ok else EXIT_FAILURE


async def _check_sources(vigie: Vigie) -> int:
    bad = 0
    for source in vigie.config.sources:
        try:
            explained = await vigie.explain_url(source.name)
            print(f"{source.name}: ok, {len(explained)} items ({source.url})")
        except SourceError as e:
            bad += 1
            print(f"{source.name}: FAILED: {e.user_message}")
    await _print_health(vigie)
    return EXIT_FAILURE if bad else EXIT_OK


async def _print_health(vigie: Vigie) -> None:
    for source, state in await vigie.source_health():
        if state is None or state.last_poll is None:
            print(f"  {source.name}: never polled")
            continue
        ok = state.last_success.isoformat(timespec="seconds") if state.last_success else "never"
        line = f"  {source.name}: last success {ok}"
        if not state.enabled:
            line += f", DISABLED ({state.disabled_reason})"
        if state.consecutive_failures:
            line += f", {state.consecutive_failures} failures in a row: {state.last_error}"
        elif state.last_error:
            line += f", but the last poll {state.last_error}"  # a later page failed
        print(line)


async def _status(vigie: Vigie) -> int:
    from datetime import timedelta

    print("sources:")
    await _print_health(vigie)
    day = await vigie.store.count_items(since=vigie.clock() - timedelta(days=1))
    total = await vigie.store.count_items()

    def _one_line(text: str, limit: int = 200) -> str:
        text = " ".join(strip_control(text).split())
        return text if len(text) <= limit else text[:limit - 1] + "…"

    outbox = await vigie.store.outbox_summary()
    print(f"items: {day} in the last 24 h, {total} stored")
    pending = outbox.waiting + outbox.retrying + outbox.held
    print(f"deliveries: {pending} pending ({outbox.retrying} retrying, {outbox.held} held for "
          f"digests, quiet hours or roll-ups), {outbox.sent} sent, {outbox.failed} failed")
    for f in outbox.failures:
        print(f"  failed: {f.subscription} → {redact_destination(f.destination)}: "
              f"{_one_line(f.title)}: {_one_line(f.error)}")
    if outbox.paused:
        print("paused subscriptions (fix the problem, then `resume <name>` in chat, "
              "e.g. vigie chat --admin):")
        for name, reason in outbox.paused.items():
            print(f"  {name}: {_one_line(reason)}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
