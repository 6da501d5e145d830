"""What the GitHub processor and the GitHub effects share: the outbox kind and the label names."""

from __future__ import annotations

from governance.charters import Labels
from governance.services import common
from governance.store import UnitOfWork

OUTBOX_KIND = "github"


def labels_of(uow: UnitOfWork) -> Labels:
    """The label names from foundation.yaml (GitHub's defaults when it names none)."""
    settings = common.foundation(uow)
    return Labels(**(settings.labels if settings is not None else {}))
