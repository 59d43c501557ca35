"""Who holds a claim: a runner's owner id, and whether that runner is known to be gone.

An owner is ``"HOST:PID:BOOT.PIDNS.UUID"``: the host name, the runner's
process id, then the kernel's boot id (``/proc/sys/kernel/random/boot_id``),
the inode of the runner's PID namespace (``os.readlink("/proc/self/ns/pid")``)
and a UUID unique to that runner. A process id means something only inside one
PID namespace of one boot of one machine, and a host name does not name
those: containers run with the host's name (``--uts=host``), and replicas
share one ``hostname:``. So a claim is judged by its owner's pid only when
host, boot id and PID namespace all equal this process's; every other claim
is judged by its lease alone (:mod:`seedwise.store.claims`).

Owners written before boot ids were recorded, ``"HOST:PID:UUID"``, are still
read; nothing says in which PID namespace their pid lived, so they too are
judged by their lease alone. On systems without PID namespaces (macOS) both
ids are written as ``none``, and owners there are judged by pid as before; on
Linux, an id that cannot be read is written as ``?``, and such an owner is
never judged by pid.
"""

from __future__ import annotations

import functools
import os
import socket
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Owner", "can_take_over", "make_owner", "owner_is_alive", "owner_state"]

#: Linux's ``PID_MAX_LIMIT``: no larger pid names a process, on any system seedwise knows.
_PID_MAX = 2**22

#: Written for an id this system does not have (no PID namespaces outside Linux).
_NONE = "none"

#: Written for an id this system has but that could not be read; it never matches.
_UNREADABLE = "?"

# The owners made by this process: each names this pid, and each is alive.
_MADE_HERE: set[str] = set()


@dataclass(frozen=True)
class Owner:
    """An owner id, parsed; ``str(owner)`` writes it back.

    Attributes:
        host: The host name.
        pid: The process id, or None when the id names none that could exist.
        boot_id: The boot id, or None for an owner written before boot ids were.
        pid_namespace: The PID namespace's inode, or None likewise.
        token: Unique to one runner (a UUID's hex).
    """

    host: str
    pid: int | None
    boot_id: str | None
    pid_namespace: str | None
    token: str

    @classmethod
    def parse(cls, text: str) -> Owner:
        """Read ``text``, of either form; an id of no known form is an owner with no pid."""
        parts = text.rsplit(":", 2)
        if len(parts) != 3:
            return cls(text, None, None, None, "")
        host, pid, token = parts
        fields = token.split(".")
        if len(fields) == 3:
            return cls(host, _pid(pid), fields[0], fields[1], fields[2])
        return cls(host, _pid(pid), None, None, token)

    @classmethod
    def here(cls, pid: int, token: str) -> Owner:
        """The owner ``pid`` and ``token`` on this host, in this boot and PID namespace."""
        boot_id, namespace = _system_ids()
        return cls(socket.gethostname(), pid, boot_id, namespace, token)

    def __str__(self) -> str:
        pid = "" if self.pid is None else str(self.pid)
        if self.boot_id is None or self.pid_namespace is None:
            return f"{self.host}:{pid}:{self.token}"
        return f"{self.host}:{pid}:{self.boot_id}.{self.pid_namespace}.{self.token}"

    @property
    def pid_here(self) -> int | None:
        """The pid, when it names a process of this process's PID namespace; else None.

        That is when host, boot id and PID namespace are all this process's,
        and both ids are known.
        """
        if self.pid is None or self.boot_id is None or self.pid_namespace is None:
            return None
        if _UNREADABLE in (self.boot_id, self.pid_namespace):
            return None
        if (self.host, self.boot_id, self.pid_namespace) != (socket.gethostname(), *_system_ids()):
            return None
        return self.pid


def make_owner() -> str:
    """A new owner id for this process: ``"HOST:PID:BOOT.PIDNS.UUID"``."""
    owner = str(Owner.here(os.getpid(), uuid.uuid4().hex))
    _MADE_HERE.add(owner)
    return owner


def owner_is_alive(owner: str) -> bool:
    """Whether the runner that ``owner`` names may still be running.

    Equivalent to ``os.kill(pid, 0)`` succeeding, for an owner whose pid
    names a process of this PID namespace (see :attr:`Owner.pid_here`); a
    process of another user counts as alive, and so does every other owner.

    Args:
        owner: An owner id, of either form.

    Returns:
        False only when the owner is known to be gone.
    """
    pid = Owner.parse(owner).pid_here
    if pid is None or pid == os.getpid():
        return True
    return _process_exists(pid)


def owner_state(owner: str) -> str:
    """What its pid says of ``owner``: ``"alive"``, ``"dead"`` or ``"unknown"`` (not judged)."""
    pid = Owner.parse(owner).pid_here
    if pid is None:
        return "unknown"
    if pid != os.getpid() and not _process_exists(pid):
        return "dead"
    return "alive"


def can_take_over(holder: str, claimant: str) -> bool:
    """Whether ``claimant`` may take over a live (unexpired) claim held by ``holder``.

    Args:
        holder: The owner of the existing claim.
        claimant: The owner asking for the repeat.

    Returns:
        True when the claim is the claimant's own, or its holder is gone:
        its pid names a process of this PID namespace that is dead, or this
        very process although this process did not make that owner, as an
        earlier runner whose pid was reused does.
    """
    if holder == claimant:
        return True
    pid = Owner.parse(holder).pid_here
    if pid is None:
        return False
    if pid == os.getpid():
        return holder not in _MADE_HERE
    return not _process_exists(pid)


def _pid(text: str) -> int | None:
    if not text.isdigit() or not 0 < int(text) <= _PID_MAX:
        return None
    return int(text)


@functools.cache
def _system_ids() -> tuple[str, str]:
    """This process's boot id and PID namespace, as owners write them."""
    if not sys.platform.startswith("linux"):
        return _NONE, _NONE
    try:
        boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot_id = _UNREADABLE
    try:
        # "pid:[4026531836]": the inode names the namespace within one boot.
        namespace = os.readlink("/proc/self/ns/pid").rpartition("[")[2].rstrip("]")
    except OSError:
        namespace = _UNREADABLE
    return boot_id or _UNREADABLE, namespace or _UNREADABLE


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
