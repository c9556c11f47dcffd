"""Validator of ``[[subscriptions]]``: what matches, where it goes, how."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from ..exceptions import QuerySyntaxError
from ..options import OPTION_NAMES, SubscriptionOptions
from ._model import Config, DestinationCheck, SubscriptionConfig
from ._table import Table


def validate_subscriptions(root: Table, topic_ids: Collection[str],
                           schemes: frozenset[str] | None) -> list[SubscriptionConfig]:
    """The subscriptions; ``schemes`` are the installed destination schemes
    (None: any scheme is accepted)."""
    from .._query import parse_query

    problems = root.problems
    subscriptions: list[SubscriptionConfig] = []
    seen: set[str] = set()
    for i, t in root.tables("subscriptions"):
        name = t.get("name", str, default=f"subscription-{i + 1}", required=True)
        if name in seen:
            problems.add(t.key("name"), f"duplicate subscription name {name!r}")
        seen.add(name)
        sub_topics = t.str_list("topics")
        for j, tid in enumerate(sub_topics):
            if tid not in topic_ids:
                problems.add(f"{t.key('topics')}[{j}]", f"unknown topic {tid[:80]!r}")
        query = t.get("query", str)
        if query is not None:
            try:
                parse_query(query)
            except QuerySyntaxError as e:
                problems.add(t.key("query"), str(e))
        if not sub_topics and query is None:
            problems.add(t.path, "needs topics, a query, or both")
        destination = t.get("destination", str, default="console")
        problem = _destination_problem(destination, schemes)
        if problem:
            problems.add(t.key("destination"), problem)
        options = _subscription_options(t)
        t.check_unknown()
        subscriptions.append(SubscriptionConfig(name, sub_topics, query, destination, options))
    return subscriptions


def destination_problems(config: Config, checks: Mapping[str, DestinationCheck]
                         ) -> list[tuple[str, str]]:
    """What each subscription's destination adapter says its destination
    lacks (a secret, a platform table, a well-formed target …), as problems
    of ``subscriptions[N].destination``."""
    problems: list[tuple[str, str]] = []
    for i, sub in enumerate(config.subscriptions):
        scheme, _, target = sub.destination.partition(":")
        check = checks.get(scheme)
        if check is not None:
            problems += [(f"subscriptions[{i}].destination", message)
                         for message in check(config, target)]
    return problems


def _destination_problem(destination: str, schemes: frozenset[str] | None) -> str | None:
    scheme = destination.split(":", 1)[0]
    if schemes is not None and scheme not in schemes:
        known = ", ".join(sorted(schemes)) or "none"
        return f"unknown destination {scheme[:40]!r} (installed: {known})"
    if ":" in destination and not destination.split(":", 1)[1].strip():
        return f"destination {destination[:80]!r} names no target after ':'"
    return None


def _subscription_options(t: Table) -> SubscriptionOptions:
    values: dict[str, str | None] = {name: t.get(name, str) for name in OPTION_NAMES
                                     if name != "mention"}
    mention = t.get("mention", (str, int))
    if mention is not None:
        values["mention"] = str(mention)
    return SubscriptionOptions.parse(
        {name: value for name, value in values.items() if value is not None},
        on_error=lambda e: t.problems.add(t.key(e.option), e.message))
