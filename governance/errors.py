"""Typed errors of the governance core.

Each carries one complete sentence for people (what is wrong and what to do); front ends turn
them into messages and exit codes in one place and never change their meaning.
"""

from __future__ import annotations


class GovernanceError(Exception):
    """A request refused by the rules; nothing was changed."""

    code = "refused"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(GovernanceError):
    """The request is malformed: an empty title, a bad duration, a control character."""

    code = "invalid-input"


class NotFound(GovernanceError):
    """An RFC, group, person, vote or election that does not exist."""

    code = "not-found"


class PermissionDenied(GovernanceError):
    """The actor's role does not allow this action."""

    code = "permission-denied"


class NotEligible(GovernanceError):
    """The actor may not take part in this decision (e.g. raise a concern without a vote)."""

    code = "not-eligible"


class VoteClosed(GovernanceError):
    """The vote or election has already closed."""

    code = "vote-closed"


class Conflict(GovernanceError):
    """The request clashes with the current state (a vote already open, an RFC withdrawn)."""

    code = "conflict"


class ClockSkew(GovernanceError):
    """The action's time is earlier than the last ledger entry; the ledger never goes backwards."""

    code = "clock-skew"


class ClockAhead(InvalidInput):
    """A time ahead of the real clock on a live record; nothing was changed."""

    code = "clock-ahead"
