"""Names people use for records (``RFC-0007``, ``E-0003``), parsed and printed in one place."""

from __future__ import annotations

import re

from governance.errors import InvalidInput

RFC_REF = re.compile(r"^(?:rfc[-_ ]?)?0*(\d{1,6})$", re.IGNORECASE)
ELECTION_REF = re.compile(r"^(?:e[-_ ]?)?0*(\d{1,6})$", re.IGNORECASE)


def rfc_label(number: int) -> str:
    """``RFC-0007``: the name people use for an RFC everywhere."""
    return f"RFC-{number:04d}"


def election_label(number: int) -> str:
    """``E-0003``: the name people use for an election."""
    return f"E-{number:04d}"


def parse_rfc_ref(ref: str) -> int:
    """Accept ``RFC-0007``, ``rfc-7`` or ``7``."""
    match = RFC_REF.match(ref.strip())
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(f"'{ref[:60]}' is not an RFC number; write it like RFC-0007 or 7.")
    return int(match.group(1))


def parse_election_ref(ref: str) -> int:
    """Accept ``E-0003``, ``e-3`` or ``3``."""
    match = ELECTION_REF.match(ref.strip())
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(f"'{ref[:60]}' is not an election number; write it like E-0003 or 3.")
    return int(match.group(1))
