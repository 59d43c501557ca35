"""Fencing: a run is stored only under the claim it was run under, and never over a finished one.

A runner frozen past its lease (``SIGSTOP``, ``docker pause``, a laptop
asleep) is simulated without waiting for the lease: its claim row is aged
past the lease, another runner takes the repeat over, and the first runner
then tries to record.
"""

from __future__ import annotations

import socket

import pytest

from seedwise.errors import StoreError, UsageError
from seedwise.records import RunRecord
from seedwise.store import Claim, Store, make_owner, owner_is_alive
from seedwise.store.claims import (
    CLAIM_LEASE_S,
    LEASE_VARIABLE,
    claim_lease_s,
    claim_renew_s,
    claim_state,
)
from tests.store.conftest import STUDY


def claim_one(store: Store, repeat: int, owner: str, *, retry_failed: bool = False) -> Claim:
    (claim,) = store.claim_with_tokens(STUDY, [repeat], owner, retry_failed=retry_failed)
    return claim


def let_the_lease_run_out(store: Store, repeat: int) -> None:
    """What a frozen runner sees: its claim not renewed for longer than the lease."""
    with store._write() as connection:
        connection.execute(
            "UPDATE claims SET claimed = claimed - ? WHERE study = ? AND repeat = ?",
            (2 * CLAIM_LEASE_S, STUDY, repeat),
        )


def run(repeat: int, status: str, value: float | None = None) -> RunRecord:
    metrics = {} if value is None else {"mse": value}
    return RunRecord(STUDY, repeat, repeat, status, metrics=metrics)  # type: ignore[arg-type]


def stored(store: Store) -> list[tuple[int, str, dict[str, float]]]:
    return [(r.repeat, r.status.value, dict(r.metrics)) for r in store.runs(STUDY)]


def test_a_frozen_runner_does_not_replace_the_run_of_the_runner_that_took_over(
    store: Store,
) -> None:
    frozen, other = make_owner(), make_owner()
    first = claim_one(store, 0, frozen)
    let_the_lease_run_out(store, 0)
    second = claim_one(store, 0, other)
    assert second.token != first.token
    assert store.record_run(run(0, "ok", 0.5), claim=second) is True
    # The frozen runner wakes: its worker was killed for its timeout meanwhile.
    assert store.record_run(run(0, "timeout"), claim=first) is False
    assert stored(store) == [(0, "ok", {"mse": 0.5})]
    assert store.claims(STUDY) == {}


def test_the_older_result_does_not_replace_the_newer_one(store: Store) -> None:
    # Only the runner was frozen: its worker finished; the repeat ran twice.
    frozen, other = make_owner(), make_owner()
    first = claim_one(store, 0, frozen)
    let_the_lease_run_out(store, 0)
    second = claim_one(store, 0, other)
    # The frozen runner wakes while the other still runs the repeat ...
    assert store.record_run(run(0, "ok", 1.0), claim=first) is False
    assert stored(store) == []
    assert store.claims(STUDY) == {0: other}
    # ... and the other stores its own; woken after that, it is refused too.
    assert store.record_run(run(0, "ok", 2.0), claim=second) is True
    assert store.record_run(run(0, "ok", 1.0), claim=first) is False
    assert stored(store) == [(0, "ok", {"mse": 2.0})]


def test_a_runner_whose_expired_claim_nobody_took_stores_its_run(store: Store) -> None:
    owner = make_owner()
    claim = claim_one(store, 0, owner)
    let_the_lease_run_out(store, 0)
    assert store.renew(STUDY, owner) == 1
    assert store.record_run(run(0, "ok", 0.5), claim=claim) is True
    assert stored(store) == [(0, "ok", {"mse": 0.5})]


def test_a_claim_taken_again_fences_out_the_first_one_of_the_same_owner(store: Store) -> None:
    owner = make_owner()
    first = claim_one(store, 0, owner)
    second = claim_one(store, 0, owner)
    assert (second.owner, second.repeat) == (first.owner, first.repeat)
    assert store.record_run(run(0, "failed"), claim=first) is False
    assert store.record_run(run(0, "ok", 0.5), claim=second) is True


def test_a_runner_never_replaces_a_finished_run(store: Store) -> None:
    owner = make_owner()
    claim = claim_one(store, 0, owner)
    # A claim row beside a finished run: written by hand, or by a bug elsewhere.
    store.record_run(run(0, "ok", 0.5))
    with store._write() as connection:
        connection.execute(
            "INSERT INTO claims (study, repeat, owner, claimed, token) VALUES (?, ?, ?, ?, ?)",
            (STUDY, 0, owner, 1e12, claim.token),
        )
    assert store.record_run(run(0, "crashed"), claim=claim) is False
    assert stored(store) == [(0, "ok", {"mse": 0.5})]


def test_a_failed_run_is_replaced_by_the_retry_that_claimed_it(store: Store) -> None:
    first = claim_one(store, 0, make_owner())
    assert store.record_run(run(0, "failed"), claim=first) is True
    retry = claim_one(store, 0, make_owner(), retry_failed=True)
    assert store.record_run(run(0, "ok", 0.5), claim=retry) is True
    assert stored(store) == [(0, "ok", {"mse": 0.5})]


def test_a_claim_of_another_repeat_is_refused(store: Store) -> None:
    claim = claim_one(store, 1, make_owner())
    with pytest.raises(StoreError, match="under the claim of its own repeat"):
        store.record_run(run(0, "ok", 0.5), claim=claim)
    assert stored(store) == []


def test_the_lease_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LEASE_VARIABLE, raising=False)
    assert (claim_lease_s(), claim_renew_s()) == (CLAIM_LEASE_S, 10.0)
    monkeypatch.setenv(LEASE_VARIABLE, "2")
    assert (claim_lease_s(), claim_renew_s()) == (2.0, 0.5)
    for bad in ("0", "-1", "nan", "inf", "two"):
        monkeypatch.setenv(LEASE_VARIABLE, bad)
        with pytest.raises(UsageError, match=f"Received: {LEASE_VARIABLE}='{bad}'"):
            claim_lease_s()


def test_a_short_lease_lets_a_claim_expire(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    frozen = make_owner()
    claim_one(store, 0, frozen)
    assert store.claim(STUDY, [0], make_owner(), retry_failed=False) == []
    monkeypatch.setenv(LEASE_VARIABLE, "1e-9")
    assert [c["state"] for c in store.claim_details(STUDY)] == ["expired"]
    assert store.claim(STUDY, [0], make_owner(), retry_failed=False) == [0]


def test_a_claim_naming_a_pid_no_process_can_have_is_not_looked_up() -> None:
    # os.kill overflows on a pid past the largest pid_t: such an owner names no process here.
    owner = f"{socket.gethostname()}:{10**30}:token"
    assert owner_is_alive(owner)
    assert claim_state(owner, claimed=100.0, now=101.0) == "unknown"
    assert claim_state(owner, claimed=100.0, now=1000.0) == "expired"
