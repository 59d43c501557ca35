"""Claims under many runners: a stateful test of claim, record, release, renew and expiry.

Runners live on this host or on others; one is dead (its process is gone);
claims age past the lease; runs are recorded under claims that may have been
taken over since (a runner that was frozen). Three connections to one store
(two that write, one that reads) must agree with a simple model at every step.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from seedwise.records import RunRecord, RunStatus
from seedwise.store import Claim, Store, open_store
from seedwise.store.claims import CLAIM_LEASE_S
from seedwise.store.owners import Owner

STUDY = "study"


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


HOST = socket.gethostname()
DEAD = str(Owner.here(_dead_pid(), "d" * 32))
OWNERS = ("other-host:1:first", "other-host:2:second", str(Owner.here(1, "i" * 32)), DEAD)
CLAIMANTS = OWNERS[:3]


class ManyRunners(RuleBasedStateMachine):
    """Runners on several hosts, one of them dead, with claims that expire."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="seedwise-claims-"))
        location = self.folder / "seedwise.db"
        self.stores = [Store(location), Store(location)]
        self.stores[0].ensure_study(
            STUDY, experiment="x.py:f", config={}, seed=0, settings={}, code_hash="h"
        )
        self.reader = open_store(location)
        self.claimed: dict[int, str] = {}
        self.tokens: dict[int, int | None] = {}
        self.issued: list[Claim] = []
        self.expired: set[int] = set()
        self.finished: set[int] = set()
        self.recorded: set[int] = set()

    def _free_for(self, repeat: int, owner: str) -> bool:
        holder = self.claimed.get(repeat)
        return holder is None or holder in (owner, DEAD) or repeat in self.expired

    @rule(
        connection=st.integers(0, 1),
        owner=st.sampled_from(CLAIMANTS),
        repeats=st.lists(st.integers(0, 5), max_size=4),
    )
    def claim(self, connection: int, owner: str, repeats: list[int]) -> None:
        expected = [
            repeat
            for repeat in dict.fromkeys(repeats)
            if repeat not in self.recorded and self._free_for(repeat, owner)
        ]
        got = self.stores[connection].claim_with_tokens(STUDY, repeats, owner, retry_failed=False)
        assert [claim.repeat for claim in got] == expected
        for claim in got:
            self.claimed[claim.repeat] = owner
            self.tokens[claim.repeat] = claim.token
            self.expired.discard(claim.repeat)
        self.issued.extend(got)

    @rule(repeat=st.integers(0, 5))
    def a_dead_runner_held_it(self, repeat: int) -> None:
        if repeat in self.recorded or repeat in self.claimed:
            return
        with self.stores[0]._write() as connection:
            connection.execute(
                "INSERT INTO claims (study, repeat, owner, claimed) VALUES (?, ?, ?, ?)",
                (STUDY, repeat, DEAD, time.time()),
            )
        self.claimed[repeat] = DEAD
        self.tokens[repeat] = None

    @rule(repeat=st.integers(0, 5))
    def the_lease_runs_out(self, repeat: int) -> None:
        if repeat not in self.claimed:
            return
        with self.stores[1]._write() as connection:
            connection.execute(
                "UPDATE claims SET claimed = ? WHERE study = ? AND repeat = ?",
                (time.time() - 2 * CLAIM_LEASE_S, STUDY, repeat),
            )
        self.expired.add(repeat)

    @rule(connection=st.integers(0, 1), owner=st.sampled_from(CLAIMANTS))
    def renew(self, connection: int, owner: str) -> None:
        held = {repeat for repeat, holder in self.claimed.items() if holder == owner}
        assert self.stores[connection].renew(STUDY, owner) == len(held)
        self.expired -= held

    @rule(connection=st.integers(0, 1), repeat=st.integers(0, 5))
    def record(self, connection: int, repeat: int) -> None:
        run = RunRecord(STUDY, repeat, repeat, RunStatus.OK, metrics={"m": 1.0})
        self.stores[connection].record_run(run)
        self._stored(repeat)

    @rule(connection=st.integers(0, 1), pick=st.integers(0, 99), status=st.sampled_from(RunStatus))
    def record_under_a_claim(self, connection: int, pick: int, status: RunStatus) -> None:
        if not self.issued:
            return
        # Any claim ever made, perhaps taken over or ended since: a frozen runner's.
        claim = self.issued[pick % len(self.issued)]
        held = (
            claim.repeat not in self.finished
            and self.claimed.get(claim.repeat) == claim.owner
            and self.tokens.get(claim.repeat) == claim.token
        )
        metrics = {"m": 1.0} if status.is_finished else {}
        run = RunRecord(STUDY, claim.repeat, claim.repeat, status, metrics=metrics)
        assert self.stores[connection].record_run(run, claim=claim) is held
        if held:
            self._stored(claim.repeat, finished=status.is_finished)

    def _stored(self, repeat: int, *, finished: bool = True) -> None:
        self.recorded.add(repeat)
        if finished:
            self.finished.add(repeat)
        else:
            self.finished.discard(repeat)
        self.claimed.pop(repeat, None)
        self.expired.discard(repeat)

    @rule(connection=st.integers(0, 1), owner=st.sampled_from(OWNERS))
    def release(self, connection: int, owner: str) -> None:
        held = [repeat for repeat, holder in self.claimed.items() if holder == owner]
        assert self.stores[connection].release(STUDY, owner) == len(held)
        for repeat in held:
            del self.claimed[repeat]
            self.expired.discard(repeat)

    @invariant()
    def every_connection_agrees_with_the_model(self) -> None:
        for store in (*self.stores, self.reader):
            assert store.claims(STUDY) == self.claimed
            runs = store.runs(STUDY)
            assert {run.repeat for run in runs} == self.recorded
            assert {run.repeat for run in runs if run.status.is_finished} == self.finished
        states = {c["repeat"]: c["state"] for c in self.reader.claim_details(STUDY)}
        for repeat, holder in self.claimed.items():
            if holder == DEAD:
                assert states[repeat] == "dead"
            elif repeat in self.expired:
                assert states[repeat] == "expired"
            else:
                assert states[repeat] in ("alive", "unknown")

    def teardown(self) -> None:
        for store in (*self.stores, self.reader):
            store.close()
        shutil.rmtree(self.folder)


ManyRunners.TestCase.settings = settings(max_examples=30, stateful_step_count=10, deadline=None)
TestManyRunners = ManyRunners.TestCase
