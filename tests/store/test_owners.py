"""Owner ids: a pid is trusted only in this PID namespace of this boot; the lease decides elsewhere.

A runner in a container that shares the host's name (``--uts=host``, or
replicas given one ``hostname:``) sees none of the host's processes: before
boot ids and PID namespaces were part of the owner, it judged the host
runner's live claims dead and took them over.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from seedwise.store import Store, make_owner, owner_is_alive
from seedwise.store.claims import CLAIM_LEASE_S
from seedwise.store.owners import Owner, can_take_over, owner_state
from tests.store.conftest import STUDY

HOST = socket.gethostname()


def dead_pid() -> int:
    """A pid that names no process here (a child that has exited and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def this_system() -> tuple[str, str]:
    owner = Owner.parse(make_owner())
    assert owner.boot_id is not None
    assert owner.pid_namespace is not None
    return owner.boot_id, owner.pid_namespace


def hold(store: Store, repeat: int, owner: str, *, age: float = 0.0) -> None:
    """A claim of ``owner`` on ``repeat``, renewed ``age`` seconds ago."""
    with store._write() as connection:
        connection.execute(
            "INSERT INTO claims (study, repeat, owner, claimed, token) VALUES (?, ?, ?, ?, ?)",
            (STUDY, repeat, owner, time.time() - age, 1),
        )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="boot ids and PID namespaces")
def test_an_owner_names_this_boot_and_pid_namespace() -> None:
    owner = Owner.parse(make_owner())
    boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    namespace = os.readlink("/proc/self/ns/pid")
    assert (owner.host, owner.pid, owner.boot_id) == (HOST, os.getpid(), boot_id)
    assert namespace == f"pid:[{owner.pid_namespace}]"
    assert len(owner.token) == 32


def test_owners_of_both_forms_are_read_back() -> None:
    made = make_owner()
    assert str(Owner.parse(made)) == made
    assert made.split(":")[:2] == [HOST, str(os.getpid())]
    old = Owner.parse("some.host:42:0123abcd")
    assert (old.host, old.pid, old.boot_id, old.pid_namespace, old.token) == (
        "some.host",
        42,
        None,
        None,
        "0123abcd",
    )
    assert str(old) == "some.host:42:0123abcd"
    for unreadable in ("", "no-colons", "h:x:t", "h:-3:t", f"h:{2**64}:t", "h:0:t"):
        assert Owner.parse(unreadable).pid is None


def test_an_owner_in_another_pid_namespace_is_not_judged_dead_while_its_lease_runs(
    store: Store,
) -> None:
    boot_id, namespace = this_system()
    other = str(int(namespace) + 1) if namespace.isdigit() else "4026531837"
    # The host's runner as a container with the same host name sees it: its
    # pid names no process here.
    elsewhere = f"{HOST}:{dead_pid()}:{boot_id}.{other}.{uuid.uuid4().hex}"
    assert owner_is_alive(elsewhere)
    assert owner_state(elsewhere) == "unknown"
    assert not can_take_over(elsewhere, make_owner())
    hold(store, 0, elsewhere)
    assert store.claim(STUDY, [0], make_owner(), retry_failed=False) == []
    assert [c["state"] for c in store.claim_details(STUDY)] == ["unknown"]
    assert store.release_stale(STUDY) == 0
    # Once its lease has run out, it is taken over like any other.
    hold(store, 1, elsewhere, age=2 * CLAIM_LEASE_S)
    assert store.claim(STUDY, [0, 1], make_owner(), retry_failed=False) == [1]


def test_an_owner_of_another_boot_with_this_host_name_is_not_judged_dead(store: Store) -> None:
    _, namespace = this_system()
    elsewhere = f"{HOST}:{dead_pid()}:{uuid.uuid4()}.{namespace}.{uuid.uuid4().hex}"
    assert owner_is_alive(elsewhere)
    hold(store, 0, elsewhere)
    assert store.claim(STUDY, [0], make_owner(), retry_failed=False) == []


def test_an_owner_of_the_old_form_is_judged_by_its_lease_only(store: Store) -> None:
    older = f"{HOST}:{dead_pid()}:{'d' * 32}"
    assert owner_is_alive(older)
    hold(store, 0, older)
    assert store.claim(STUDY, [0], make_owner(), retry_failed=False) == []
    assert [c["state"] for c in store.claim_details(STUDY)] == ["unknown"]


def test_a_dead_owner_of_this_pid_namespace_is_taken_over_at_once(store: Store) -> None:
    dead = str(Owner.here(dead_pid(), uuid.uuid4().hex))
    assert not owner_is_alive(dead)
    hold(store, 0, dead)
    assert [c["state"] for c in store.claim_details(STUDY)] == ["dead"]
    assert store.claim(STUDY, [0], make_owner(), retry_failed=False) == [0]


def test_a_huge_pid_is_not_an_error(store: Store) -> None:
    huge = f"{HOST}:{10**30}:{'x' * 32}"
    assert owner_state(huge) == "unknown"
    hold(store, 0, huge)
    assert [c["state"] for c in store.claim_details(STUDY)] == ["unknown"]
    assert store.claim(STUDY, [0], make_owner(), retry_failed=False) == []


def test_another_owner_made_by_this_process_stays_alive(store: Store) -> None:
    # Two sweeps in one process (threads) share its pid; neither takes the other's claims.
    first, second = make_owner(), make_owner()
    assert store.claim(STUDY, [0], first, retry_failed=False) == [0]
    assert not can_take_over(first, second)
    assert store.claim(STUDY, [0], second, retry_failed=False) == []
