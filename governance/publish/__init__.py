"""Publishing the record: the Publisher port, the local git publisher and the outbox drain.

A publication renders the pages the new ledger entries touch, keeps the hand-written custom
sections of the published files, compares the result with the published tree by git blob hash,
and hands only the changed and deleted paths to the publisher, which makes ONE commit of them.
"""

from governance.publish.custom import custom_sections, keep_custom
from governance.publish.local import LocalGitPublisher
from governance.publish.outbox import (
    Drained,
    OutboxWorker,
    Watched,
    backoff,
    docs_due_at,
    drain,
)
from governance.publish.port import Publisher, PublishError, RefMoved, RemoteTree, blob_sha
from governance.publish.publication import (
    Publication,
    outbox_view,
    publish_now,
)

__all__ = [
    "Drained",
    "LocalGitPublisher",
    "OutboxWorker",
    "Publication",
    "PublishError",
    "Publisher",
    "RefMoved",
    "RemoteTree",
    "Watched",
    "backoff",
    "blob_sha",
    "custom_sections",
    "docs_due_at",
    "drain",
    "keep_custom",
    "outbox_view",
    "publish_now",
]
