"""The durable store of studies and runs: one SQLite file, versioned, safe to share.

``Store(path)`` opens it to write, ``open_store(path)`` to read, and
``store.study(name)`` is a :class:`Study`. See ``docs/store.md`` for the
schema and how to read it with ``sqlite3``.
"""

from __future__ import annotations

from seedwise.records import RUN_STATUSES as RUN_STATUSES
from seedwise.records import RunRecord as RunRecord
from seedwise.store.backup import StoreCopy as StoreCopy
from seedwise.store.claims import Claim as Claim
from seedwise.store.core import Store as Store
from seedwise.store.core import grown_since_shown as grown_since_shown
from seedwise.store.core import note_showings as note_showings
from seedwise.store.core import open_store as open_store
from seedwise.store.core import open_study as open_study
from seedwise.store.opening import BUSY_TIMEOUT_S as BUSY_TIMEOUT_S
from seedwise.store.opening import default_store_path as default_store_path
from seedwise.store.owners import make_owner as make_owner
from seedwise.store.owners import owner_is_alive as owner_is_alive
from seedwise.store.records import Showing as Showing
from seedwise.store.records import StudyRecord as StudyRecord
from seedwise.store.records import StudySummary as StudySummary
from seedwise.store.records import SweepCell as SweepCell
from seedwise.store.records import SweepGrid as SweepGrid
from seedwise.store.rows import environment_hash as environment_hash
from seedwise.store.schema import APPLICATION_ID as APPLICATION_ID
from seedwise.store.schema import SCHEMA_VERSION as SCHEMA_VERSION
from seedwise.store.study import Study as Study

__all__ = [
    "APPLICATION_ID",
    "BUSY_TIMEOUT_S",
    "RUN_STATUSES",
    "SCHEMA_VERSION",
    "Claim",
    "RunRecord",
    "Showing",
    "Store",
    "StoreCopy",
    "Study",
    "StudyRecord",
    "StudySummary",
    "SweepCell",
    "SweepGrid",
    "default_store_path",
    "environment_hash",
    "grown_since_shown",
    "make_owner",
    "note_showings",
    "open_store",
    "open_study",
    "owner_is_alive",
]
