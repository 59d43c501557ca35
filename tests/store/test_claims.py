"""Claim owners (store/claims.py): what an owner names, and whether it may be alive."""

from __future__ import annotations

import socket

from seedwise.store.claims import claim_state, owner_is_alive


def test_a_claim_naming_a_pid_no_process_can_have_is_not_looked_up() -> None:
    # os.kill overflows on a pid past the largest pid_t: such an owner names no process here.
    owner = f"{socket.gethostname()}:{10**30}:token"
    assert owner_is_alive(owner)
    assert claim_state(owner, claimed=100.0, now=101.0) == "unknown"
    assert claim_state(owner, claimed=100.0, now=1000.0) == "expired"
