"""Use cases: one function each, taking ``(uow, actor, now, command)``.

Each checks permissions by role, changes state, appends its ledger entry and outbox items, and
commits once; a refusal raises a typed error from ``governance.errors`` and changes nothing.
"""
