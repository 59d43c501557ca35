"""The claim protocol: which runner runs which repeat, and whether its owner is still alive.

Before running repeats, a runner claims them (:func:`claim_repeats`, inside
one write transaction): a repeat with no finished run (or, when retrying,
with a failed one) and no claim of a live owner. Recording a run deletes the
repeat's claim; the runner renews its claims while it runs
(:func:`renew_claims`) and releases the rest when it stops
(:func:`release_claims`).

An owner is ``"HOST:PID:TOKEN"``: the host name, the runner's process id and
a token unique to that runner (a UUID). A claim is stale, and may be taken
over, when its owner ran on this host and its process no longer exists (a
zombie counts as gone), or when its owner has not renewed it for
:data:`CLAIM_LEASE_S` seconds: a running sweep renews its claims every few
seconds, so a claim left by a runner on another host (a container restarted
under a new host name, a node that died) expires after the lease.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from seedwise.records import RunStatus
from seedwise.store.rows import claim_from_row

__all__ = [
    "CLAIM_LEASE_S",
    "CLAIM_RENEW_S",
    "can_take_over",
    "claim_repeats",
    "claim_state",
    "delete_claims",
    "holders",
    "make_owner",
    "open_claims",
    "owner_is_alive",
    "release_claims",
    "renew_claims",
    "select_claimable",
]

#: A claim not renewed for this long is stale, whoever holds it.
CLAIM_LEASE_S = 120.0

#: How often a running sweep renews its claims.
CLAIM_RENEW_S = 10.0

_MAX_PID = 2**31 - 1


def make_owner() -> str:
    """A new owner id for this process: ``"HOST:PID:UUID"``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"


def owner_is_alive(owner: str) -> bool:
    """Whether the runner that ``owner`` names may still be running.

    Equivalent to ``os.kill(pid, 0)`` succeeding, for an owner on this host;
    a process of another user counts as alive, and so does any owner on
    another host or of another form.

    Args:
        owner: ``"HOST:PID:TOKEN"``.

    Returns:
        False only when the owner is known to be gone.
    """
    host, pid = _parse(owner)
    if pid is None or host != socket.gethostname():
        return True
    if pid == os.getpid():
        return True
    return _process_exists(pid)


def claim_state(owner: str, claimed: float, now: float) -> str:
    """What is known of a claim's owner: ``"alive"``, ``"dead"``, ``"expired"`` or ``"unknown"``.

    ``dead``: its process on this host is gone; ``expired``: not renewed for
    :data:`CLAIM_LEASE_S`; ``unknown``: on another host and renewed lately.
    """
    host, pid = _parse(owner)
    here = pid is not None and host == socket.gethostname() and pid != os.getpid()
    if here and pid is not None and not _process_exists(pid):
        return "dead"
    if now - claimed > CLAIM_LEASE_S:
        return "expired"
    if pid is None or host != socket.gethostname():
        return "unknown"
    return "alive"


def can_take_over(holder: str, claimant: str) -> bool:
    """Whether ``claimant`` may take over a claim held by ``holder``.

    Args:
        holder: The owner of the existing claim.
        claimant: The owner asking for the repeat.

    Returns:
        True when the claim is the claimant's own, or its holder is gone:
        its process is dead, or it names the claimant's own pid (this
        process) with another token, as an earlier runner whose pid was
        reused does after a container restart.
    """
    if holder == claimant:
        return True
    host, pid = _parse(holder)
    if pid is None or host != socket.gethostname():
        return False
    _, claimant_pid = _parse(claimant)
    if pid == os.getpid() and claimant_pid == pid:
        return True
    return not _process_exists(pid)


def select_claimable(
    candidates: Sequence[int],
    runs: Mapping[int, tuple[str, float | None]],
    holders: Mapping[int, str],
    owner: str,
    *,
    retry_failed: bool,
    limit: int | None,
    retry_before: float | None,
    claimed_at: Mapping[int, float] | None = None,
    now: float | None = None,
) -> list[int]:
    """The candidates ``owner`` may claim, in order; see :func:`claim_repeats`.

    Args:
        candidates: Distinct repeats, in the order to claim them.
        runs: The study's stored runs: repeat -> (status, finished).
        holders: The study's claims: repeat -> owner.
        claimed_at: When each claim was made or last renewed; a claim older
            than :data:`CLAIM_LEASE_S` is taken over whoever holds it.
        now: The time to judge leases by.
        owner: The claimant.
        retry_failed: Whether runs that did not finish may be claimed.
        limit: The most repeats to return, or None.
        retry_before: With ``retry_failed``, only runs finished before this.

    Returns:
        The claimable repeats.
    """
    verdicts: dict[str, bool] = {}
    claimed: list[int] = []
    for repeat in candidates:
        if limit is not None and len(claimed) >= limit:
            break
        if repeat in runs:
            status, finished = runs[repeat]
            if RunStatus(status).is_finished or not retry_failed:
                continue
            if retry_before is not None and finished is not None and finished >= retry_before:
                continue
        holder = holders.get(repeat)
        expired = (
            claimed_at is not None
            and now is not None
            and repeat in claimed_at
            and now - claimed_at[repeat] > CLAIM_LEASE_S
        )
        if holder is not None and not expired:
            if holder not in verdicts:
                verdicts[holder] = can_take_over(holder, owner)
            if not verdicts[holder]:
                continue
        claimed.append(repeat)
    return claimed


def claim_repeats(
    connection: sqlite3.Connection,
    study: str,
    candidates: Sequence[int],
    owner: str,
    *,
    retry_failed: bool,
    limit: int | None,
    retry_before: float | None,
) -> list[int]:
    """Claim the repeats of ``study`` that ``owner`` may claim (:func:`select_claimable`).

    Args:
        connection: A connection inside the write transaction that makes
            the claims atomic.
        study: The study's name, checked to exist.
        candidates: Distinct repeats, in the order to claim them.
        owner: The claimant, ``"HOST:PID:TOKEN"``.
        retry_failed: Whether runs that did not finish may be claimed.
        limit: The most repeats to claim, or None.
        retry_before: With ``retry_failed``, only runs finished before this.

    Returns:
        The claimed repeats, in the order given.
    """
    runs = {
        repeat: (status, finished)
        for repeat, status, finished in connection.execute(
            "SELECT repeat, status, finished FROM runs WHERE study = ?", (study,)
        )
    }
    rows = connection.execute(
        "SELECT repeat, owner, claimed FROM claims WHERE study = ?", (study,)
    ).fetchall()
    now = time.time()
    claimed = select_claimable(
        candidates,
        runs,
        {repeat: holder for repeat, holder, _ in rows},
        owner,
        retry_failed=retry_failed,
        limit=limit,
        retry_before=retry_before,
        claimed_at={repeat: when for repeat, _, when in rows},
        now=now,
    )
    connection.executemany(
        "INSERT OR REPLACE INTO claims (study, repeat, owner, claimed) VALUES (?, ?, ?, ?)",
        [(study, repeat, owner, now) for repeat in claimed],
    )
    return claimed


def release_claims(connection: sqlite3.Connection, study: str, owner: str) -> int:
    """Drop every claim ``owner`` holds on ``study``, in a write transaction; returns how many."""
    cursor = connection.execute("DELETE FROM claims WHERE study = ? AND owner = ?", (study, owner))
    return cursor.rowcount


def renew_claims(connection: sqlite3.Connection, study: str, owner: str) -> int:
    """Renew the lease of every claim ``owner`` holds on ``study``; returns how many."""
    cursor = connection.execute(
        "UPDATE claims SET claimed = ? WHERE study = ? AND owner = ?",
        (time.time(), study, owner),
    )
    return cursor.rowcount


def open_claims(connection: sqlite3.Connection, study: str | None) -> list[dict[str, Any]]:
    """Every open claim (of one study, or of all): who holds it, since when, and its state.

    Returns:
        Dicts with ``study``, ``repeat``, ``owner``, ``age`` (seconds since
        the claim was made or renewed) and ``state`` (see :func:`claim_state`),
        by study and repeat.

    Raises:
        StoreRowError: A claim row that does not hold what seedwise writes.
    """
    found = connection.execute(
        "SELECT study, repeat, owner, claimed FROM claims "
        + ("WHERE study = ? " if study is not None else "")
        + "ORDER BY study, repeat",
        (study,) if study is not None else (),
    ).fetchall()
    rows = [claim_from_row(row) for row in found]
    now = time.time()
    return [
        {
            "study": name,
            "repeat": repeat,
            "owner": owner,
            "age": now - claimed,
            "state": claim_state(owner, claimed, now),
        }
        for name, repeat, owner, claimed in rows
    ]


def delete_claims(connection: sqlite3.Connection, claims: Sequence[Mapping[str, Any]]) -> None:
    """Delete these claims (as :func:`open_claims` lists them), each only if its owner holds it."""
    for claim in claims:
        connection.execute(
            "DELETE FROM claims WHERE study = ? AND repeat = ? AND owner = ?",
            (claim["study"], claim["repeat"], claim["owner"]),
        )


def holders(connection: sqlite3.Connection, study: str) -> dict[int, str]:
    """The open claims of ``study``: repeat -> owner."""
    return dict(
        connection.execute(
            "SELECT repeat, owner FROM claims WHERE study = ? ORDER BY repeat", (study,)
        )
    )


def _parse(owner: str) -> tuple[str, int | None]:
    parts = owner.rsplit(":", 2)
    # A pid past the largest pid_t names no process (and os.kill would overflow).
    if len(parts) != 3 or not parts[1].isdigit() or not 0 < int(parts[1]) <= _MAX_PID:
        return owner, None
    return parts[0], int(parts[1])


def _process_exists(pid: int) -> bool:
    if os.name == "nt":
        # os.kill(pid, 0) terminates the process on Windows: never ask there.
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        # PermissionError: it exists, under another user.
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """Whether ``pid`` has exited but not been reaped (Linux ``/proc``; False elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state follows the command name, which is in parentheses and may hold spaces.
    return stat.rpartition(")")[2].split()[:1] == ["Z"]
