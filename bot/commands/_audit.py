"""The audit log, for admins: who changed what, when, in this workspace."""

from __future__ import annotations

from ..replies import Code, Heading, Reply
from ._call import Call, show
from ._declare import COMMANDS
from ._params import Int


@COMMANDS.command(
    "audit", summary="Who changed what, when, in this workspace", admin=True,
    examples=("audit", "audit --limit 50"), params=(
        Int("limit", "How many changes at most (default 10)", option=True, default=10,
            minimum=1, maximum=100, metavar="N"),
    ))
async def audit(call: Call, *, limit: int) -> Reply:
    entries = await call.chat.audit_log(call.tenant, limit)
    if not entries:
        return Reply.text("No changes recorded for this workspace yet.")
    lines = []
    for e in entries:
        change = ""
        if e.old_value is not None or e.new_value is not None:
            change = f": {show(e.old_value or '∅', 120)} → {show(e.new_value or '∅', 120)}"
        lines.append(f"{e.at.strftime('%Y-%m-%d %H:%M UTC')} · {e.user_name} · "
                     f"{e.action} {e.target}{change}")
    return Reply((Heading("Audit log"), Code("\n".join(lines))))
