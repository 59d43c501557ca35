"""The claim protocol: which runner runs which repeat, and whether its result may be stored.

Before running repeats, a runner claims them (:func:`claim_repeats`, inside
one write transaction): a repeat with no finished run (or, when retrying,
with a failed one) and no claim of a live owner. Each claim gets a fencing
token, drawn anew whenever a repeat is claimed, taken over or not. The
runner renews its claims while it runs (:func:`renew_claims`), records each
run under its claim, and releases the rest when it stops
(:func:`release_claims`).

A run is stored only under the claim it was run under (:func:`still_holds`,
checked in the write transaction that stores it): the repeat's claim must
still be the runner's, with the same token, and the repeat must have no
finished run. A runner frozen past its lease (``SIGSTOP``, ``docker pause``,
a laptop asleep) whose claim another runner took over, and perhaps finished,
finds its result refused when it wakes, instead of replacing the other's.

A claim is stale, and may be taken over, when its owner is known to be gone
(:mod:`seedwise.store.owners`: its pid, in this PID namespace, names no
process), or when its owner has not renewed it for :func:`claim_lease_s`
seconds: a running sweep renews its claims every few seconds, so a claim
left by a runner elsewhere (another host, container or boot) expires after
the lease.
"""

from __future__ import annotations

import math
import os
import secrets
import sqlite3
import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from seedwise.errors import UsageError
from seedwise.records import RunStatus
from seedwise.store.owners import can_take_over, owner_state
from seedwise.store.rows import claim_from_row

__all__ = [
    "CLAIM_LEASE_S",
    "CLAIM_RENEW_S",
    "LEASE_VARIABLE",
    "Claim",
    "claim_lease_s",
    "claim_renew_s",
    "claim_repeats",
    "claim_state",
    "delete_claims",
    "holders",
    "open_claims",
    "release_claims",
    "renew_claims",
    "select_claimable",
    "still_holds",
]

#: A claim not renewed for this long is stale, whoever holds it (the default lease).
CLAIM_LEASE_S = 120.0

#: How often a running sweep renews its claims (at most; see :func:`claim_renew_s`).
CLAIM_RENEW_S = 10.0

#: The environment variable that sets another lease, in seconds: for tests and benchmarks.
LEASE_VARIABLE = "SEEDWISE_CLAIM_LEASE_S"


class Claim(NamedTuple):
    """One claim as its runner holds it: the repeat, its owner and its fencing token."""

    study: str
    repeat: int
    owner: str
    token: int


def claim_lease_s() -> float:
    """The lease of a claim, in seconds: ``$SEEDWISE_CLAIM_LEASE_S``, else :data:`CLAIM_LEASE_S`.

    A short lease makes a frozen runner lose its claims sooner, which tests
    and benchmarks of that case need; in use, a lease shorter than a pause
    a runner may survive (a laptop asleep) costs that runner its results.

    Raises:
        UsageError: The variable is set to something other than a positive
            number of seconds.
    """
    text = os.environ.get(LEASE_VARIABLE, "")
    if not text:
        return CLAIM_LEASE_S
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise UsageError(
            f"{LEASE_VARIABLE} must be a positive number of seconds. Received: "
            f"{LEASE_VARIABLE}={text!r}; expected e.g. 120 (the default, when it is unset)"
        )
    return value


def claim_renew_s() -> float:
    """How often a running sweep renews its claims: :data:`CLAIM_RENEW_S`, or a quarter lease."""
    return min(CLAIM_RENEW_S, claim_lease_s() / 4)


def claim_state(owner: str, claimed: float, now: float) -> str:
    """What is known of a claim's owner: ``"alive"``, ``"dead"``, ``"expired"`` or ``"unknown"``.

    ``dead``: its pid names no process of this PID namespace
    (:func:`~seedwise.store.owners.owner_state`); ``expired``: not renewed for
    :func:`claim_lease_s`; ``unknown``: elsewhere (another host, boot or PID
    namespace, or an owner of the old form) and renewed lately.
    """
    state = owner_state(owner)
    if state != "dead" and now - claimed > claim_lease_s():
        return "expired"
    return state


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
            than :func:`claim_lease_s` is taken over whoever holds it.
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
    lease = claim_lease_s()
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
            and now - claimed_at[repeat] > lease
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
) -> list[Claim]:
    """Claim the repeats of ``study`` that ``owner`` may claim (:func:`select_claimable`).

    Each claim, new or taken again, gets a new fencing token (63 random
    bits), so that a run begun under an earlier claim of the repeat, by
    another owner or by this one, is never stored under this claim.

    Args:
        connection: A connection inside the write transaction that makes
            the claims atomic.
        study: The study's name, checked to exist.
        candidates: Distinct repeats, in the order to claim them.
        owner: The claimant (:func:`~seedwise.store.owners.make_owner`).
        retry_failed: Whether runs that did not finish may be claimed.
        limit: The most repeats to claim, or None.
        retry_before: With ``retry_failed``, only runs finished before this.

    Returns:
        The claims, in the order given.
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
    claims = [Claim(study, repeat, owner, secrets.randbits(63)) for repeat in claimed]
    connection.executemany(
        "INSERT OR REPLACE INTO claims (study, repeat, owner, claimed, token) "
        "VALUES (?, ?, ?, ?, ?)",
        [(study, claim.repeat, owner, now, claim.token) for claim in claims],
    )
    return claims


def still_holds(connection: sqlite3.Connection, claim: Claim) -> bool:
    """Whether a run made under ``claim`` may be stored now: the fence of every runner's write.

    True when the repeat's claim is still ``claim`` (its owner, with its
    token) and the repeat has no finished run. False when the claim was
    taken over (its lease expired while its runner was frozen, or its
    owner was judged gone), released by hand, or ended by another write.

    Args:
        connection: A connection inside the write transaction that would
            store the run, so that nothing changes between this check and
            the write.
        claim: The claim the run was made under.
    """
    held = connection.execute(
        "SELECT owner, token FROM claims WHERE study = ? AND repeat = ?",
        (claim.study, claim.repeat),
    ).fetchone()
    if held is None or tuple(held) != (claim.owner, claim.token):
        return False
    finished = connection.execute(
        "SELECT 1 FROM runs WHERE study = ? AND repeat = ? AND status = ?",
        (claim.study, claim.repeat, RunStatus.OK.value),
    ).fetchone()
    return finished is None


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
