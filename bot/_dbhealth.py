"""Saying that the database fails once, not on every poll.

A database that refuses writes (read-only, full disk, revoked grants) or
cannot be reached fails every poll and every delivery pass alike. The
operator needs one line saying so, another if the trouble changes, and one
when it is over: not a traceback with the SQL every few seconds.
"""

from __future__ import annotations

import logging

from .exceptions import StorageError

log = logging.getLogger(__name__)


class DatabaseHealth:
    """The database's troubles as the recurring operations meet them.

    Each operation (a source's poll, the delivery pass …) reports under its
    own name whether it went through. A trouble (a :attr:`StorageError.kind`)
    is logged when the first operation meets it; the end is logged once
    every operation that failed has gone through again. An operation that
    only reads cannot say that writes work again, so each clears only its
    own failure.
    """

    def __init__(self) -> None:
        #: The trouble each failing operation last met, by operation.
        self.failing: dict[str, str] = {}

    def failed(self, operation: str, error: StorageError) -> None:
        """``operation`` failed: logged in one line (no SQL, no traceback)
        unless another operation already reported this trouble."""
        known = set(self.failing.values())
        self.failing[operation] = error.kind
        if error.kind in known:
            log.debug("%s failed again: %s", operation, error.user_message)
            return
        log.error("the database fails: %s (said once, until it changes or recovers)",
                  error.user_message)

    def worked(self, operation: str) -> None:
        """``operation`` went through; the end of the trouble is said once
        nothing fails any more."""
        if self.failing.pop(operation, None) is not None and not self.failing:
            log.info("the database works again")
