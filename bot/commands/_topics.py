"""Topic commands, for admins: topic create/delete, keywords and exclude add/remove."""

from __future__ import annotations

import dataclasses
import re
from typing import Literal

from .._effective import rule_id
from .._normalize import normalize
from .._types import SHARED, ChatTopic
from ..config import phrase_problem
from ..exceptions import CommandError
from ..replies import Reply
from ._call import Call, show
from ._declare import COMMANDS
from ._params import Phrase, Text

#: Topic ids and source names: letters, digits, ``-``, ``_``, ``.``; at most 64.
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_TOPIC_NAME = 100
MAX_PHRASES = 1000

_TOPIC = Text("topic", "Topic id", complete="topic", metavar="topic-id")
_PHRASE = Phrase("phrase", "A keyword or phrase; end with * for a prefix (gpu*)")

COMMANDS.group("topic", "Create or delete a topic of this workspace")
COMMANDS.group("keywords", "Edit a topic's keywords (takes effect on the next poll)")
COMMANDS.group("exclude", "Edit a topic's exclusions")


@COMMANDS.command(
    "topic create", summary="Create a topic", admin=True,
    examples=('topic create quantum "Informatique quantique"',), params=(
        Text("topic_id", "The new topic's id (letters, digits, - _ .)", metavar="topic-id"),
        Phrase("name", "Its display name", required=False),
    ))
async def topic_create(call: Call, *, topic_id: str, name: str | None) -> Reply:
    if not ID_RE.match(topic_id):
        raise CommandError("topic ids use letters, digits, '-', '_' or '.' (at most 64)")
    state = await call.state()
    if any(t.tenant == call.tenant and t.topic_id == topic_id for t in state.topics) \
            or call.ctx.file.topic(topic_id) is not None:
        raise CommandError(f"topic {topic_id!r} already exists")
    name = name or topic_id
    if len(name) > MAX_TOPIC_NAME:
        raise CommandError(f"a topic name is at most {MAX_TOPIC_NAME} characters")
    await call.chat.put_topic(ChatTopic(call.tenant, topic_id, name),
                              call.entry("topic create", topic_id, None, name))
    await call.refresh()
    return Reply.text(f"Created topic {topic_id} ({name}). Add keywords: "
                      f"`keywords add {topic_id} <phrase>`.")


@COMMANDS.command(
    "topic delete", summary="Delete a topic", admin=True, examples=("topic delete quantum",),
    params=(Text("topic_id", "Topic id", complete="topic", metavar="topic-id"),))
async def topic_delete(call: Call, *, topic_id: str) -> Reply:
    tenant = call.tenant
    state = await call.state()
    mine = next((t for t in state.topics if t.tenant == tenant and t.topic_id == topic_id),
                None)
    if mine is None:
        if call.ctx.file.topic(topic_id) is not None:
            raise CommandError(f"topic {topic_id!r} comes from the configuration file",
                               hint="remove it there")
        raise CommandError(f"no topic {show(topic_id, 40)!r} created in this workspace")
    gone = await call.chat.delete_topic(
        tenant, topic_id, rule_id(tenant, topic_id),
        call.entry("topic delete", topic_id,
                   {"name": mine.name, "keywords": list(mine.keywords)}, None))
    await call.refresh()
    extra = f" and its {gone} subscription(s)" if gone else ""
    return Reply.text(f"Deleted topic {topic_id}{extra}.")


def _fold(phrase: str) -> str:
    """How two phrases are compared: normalised, a final ``*`` kept."""
    return normalize(phrase.rstrip("*")) + ("*" if phrase.endswith("*") else "")


async def _edit(call: Call, what: Literal["keywords", "exclude"],
                action: Literal["add", "remove"], topic: str, phrase: str) -> Reply:
    problem = phrase_problem(phrase)
    if problem:
        raise CommandError(f"the phrase {problem}")
    _, row = await call.editable_topic(topic)
    current = row.keywords if what == "keywords" else row.exclude
    folded = {_fold(x): x for x in current}
    key = _fold(phrase)
    if action == "add":
        if key in folded:
            raise CommandError(f"{topic} already has {folded[key]!r}")
        if len(current) >= MAX_PHRASES:
            raise CommandError(f"a topic has at most {MAX_PHRASES:,} phrases")
        new = (*current, phrase)
    else:
        if key not in folded:
            raise CommandError(f"{topic} has no {'keyword' if what == 'keywords' else what}"
                               f" {show(phrase, 60)!r}")
        new = tuple(x for x in current if x != folded[key])
        if what == "keywords" and not new and row.tenant == SHARED:
            raise CommandError("a configuration topic needs at least one keyword")
    changed = (dataclasses.replace(row, keywords=new) if what == "keywords"
               else dataclasses.replace(row, exclude=new))
    await call.chat.put_topic(changed, call.entry(f"{what} {action}", topic, list(current),
                                                  list(new)))
    await call.refresh()
    sign = "+" if action == "add" else "−"
    return Reply.text(f"{topic} {what}: {sign} {phrase!r}. Now: "
                      f"{', '.join(new) or 'none'}. Takes effect on the next poll.")


def _phrase_command(what: Literal["keywords", "exclude"], action: Literal["add", "remove"],
                    summary: str, example: str) -> None:
    """Declare ``<what> <action> <topic> <phrase>``."""
    @COMMANDS.command(f"{what} {action}", summary=summary, admin=True, examples=(example,),
                      params=(_TOPIC, _PHRASE))
    async def edit(call: Call, *, topic: str, phrase: str) -> Reply:
        return await _edit(call, what, action, topic, phrase)


_phrase_command("keywords", "add", "Add a keyword to a topic", "keywords add gpu H100")
_phrase_command("keywords", "remove", "Remove a keyword from a topic",
                'keywords remove gpu "carte graphique"')
_phrase_command("exclude", "add", "Add an exclusion to a topic", 'exclude add gpu "GPU mining"')
_phrase_command("exclude", "remove", "Remove an exclusion from a topic",
                "exclude remove gpu mining")
