"""What a seeding call did, framework by framework, and what it could not do."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from seedwise._html import element, notebook_block, notebook_text, table

__all__ = ["Deterministic", "NondeterministicOp", "SeedAction", "SeedReport", "Status"]

Status = Literal["ok", "warning", "impossible", "skipped", "pending"]
#: ``seed_everything``'s ``deterministic``: on, off, or on with warnings instead of errors.
Deterministic = bool | Literal["warn"]

_MARKS: dict[str, str] = {
    "ok": "ok",
    "warning": "WARN",
    "impossible": "NO",
    "skipped": "-",
    "pending": "wait",
}


@dataclass(frozen=True)
class SeedAction:
    """One thing seeding did or could not do.

    Attributes:
        framework: ``python``, ``numpy``, ``keras``, ``tensorflow``, ``torch``,
            ``jax``, ``scikit-learn`` or ``process``.
        action: What was set, e.g. ``random.seed(42)``.
        status: ``ok`` (done), ``warning`` (done, or not needed, but
            reproducibility can still break here), ``impossible`` (cannot be
            done by a call inside this process), ``skipped`` (framework not
            installed or not asked for) or ``pending`` (not imported yet: it
            is seeded the moment its import completes).
        detail: Why, and what to do about it.
        when: ``at once`` (done by the seeding call itself) or ``on import``
            (done, or to be done, when the framework's import completed).
    """

    framework: str
    action: str
    status: Status
    detail: str = ""
    when: str = "at once"


@dataclass(frozen=True)
class NondeterministicOp:
    """An op without a deterministic kernel that ran in warn-only mode (``deterministic="warn"``).

    Attributes:
        op: The op as torch names it in its warning, e.g. ``"put_"``,
            ``"scatter_add_cuda_kernel"``.
        count: How many times it warned.
        location: ``file:line`` of the user's code where it first ran.
    """

    op: str
    count: int
    location: str


@dataclass
class SeedReport:
    """The actions of one :func:`seedwise.seed_everything` call.

    Prints as a table; :meth:`to_dict` and :meth:`to_json` serialise it.
    """

    seed: int
    deterministic: Deterministic
    actions: list[SeedAction] = field(default_factory=list)
    #: With ``deterministic="warn"``: each op without a deterministic kernel that
    #: ran since the call, in the order they first ran (added as they run).
    nondeterministic_ops: list[NondeterministicOp] = field(default_factory=list)

    def add(self, framework: str, action: str, status: Status, detail: str = "") -> None:
        """Record one action."""
        self.actions.append(SeedAction(framework, action, status, detail))

    @property
    def warnings(self) -> list[SeedAction]:
        """The actions whose status is ``warning`` or ``impossible``."""
        return [a for a in self.actions if a.status in ("warning", "impossible")]

    @property
    def frameworks(self) -> list[str]:
        """The frameworks that were seeded (at least one ``ok`` action)."""
        seen: list[str] = []
        for action in self.actions:
            if action.status == "ok" and action.framework not in seen:
                seen.append(action.framework)
        return seen

    def _seeded(self, when: str) -> list[str]:
        seen: list[str] = []
        for action in self.actions:
            if action.status == "ok" and action.when == when and action.framework not in seen:
                seen.append(action.framework)
        return seen

    @property
    def seeded_at_once(self) -> list[str]:
        """The frameworks seeded by the call itself: those already imported, and Python."""
        return self._seeded("at once")

    @property
    def seeded_on_import(self) -> list[str]:
        """The frameworks seeded later, the moment their import completed."""
        return self._seeded("on import")

    @property
    def waiting(self) -> list[str]:
        """The frameworks not imported yet, to be seeded when their import completes."""
        return [a.framework for a in self.actions if a.status == "pending"]

    def for_framework(self, framework: str) -> list[SeedAction]:
        """The actions recorded for one framework."""
        return [a for a in self.actions if a.framework == framework]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        return {
            "seed": self.seed,
            "deterministic": self.deterministic,
            "seeded_at_once": self.seeded_at_once,
            "seeded_on_import": self.seeded_on_import,
            "waiting": self.waiting,
            "actions": [asdict(a) for a in self.actions],
            "nondeterministic_ops": [asdict(op) for op in self.nondeterministic_ops],
        }

    def to_json(self, **kwargs: Any) -> str:
        """The report as JSON; keyword arguments go to :func:`json.dumps`."""
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeedReport:
        """Rebuild a report from :meth:`to_dict` output (the lists of frameworks are derived)."""
        actions = [SeedAction(**a) for a in data["actions"]]
        mode = data["deterministic"]
        return cls(
            seed=int(data["seed"]),
            deterministic="warn" if mode == "warn" else bool(mode),
            actions=actions,
            nondeterministic_ops=[
                NondeterministicOp(**op) for op in data.get("nondeterministic_ops", [])
            ],
        )

    @property
    def mode(self) -> str:
        """The deterministic mode in words."""
        if self.deterministic == "warn":
            return "deterministic ops on, warn-only"
        return "deterministic ops on" if self.deterministic else "deterministic ops off"

    _repr_pretty_ = notebook_text

    def _repr_html_(self) -> str:
        """The report as an HTML table, for notebooks; warnings stand out."""
        mode = self.mode
        marks = {"ok": "good", "warning": "bad", "impossible": "bad", "skipped": None}
        rows = [
            [
                a.framework,
                element("span", _MARKS[a.status], class_=marks.get(a.status)),
                a.when,
                a.action,
                a.detail,
            ]
            for a in self.actions
        ]
        problems = len(self.warnings)
        return str(
            notebook_block(
                element(
                    "div", element("code", f"seedwise.seed_everything({self.seed})"), f": {mode}"
                ),
                table(["framework", "status", "when", "action", "detail"], rows),
                element("div", self._timing()),
                element(
                    "div", f"{problems} warning(s): reproducibility can still break where marked."
                )
                if problems
                else None,
                table(
                    ["ran without a deterministic kernel", "times", "first at"],
                    [[op.op, str(op.count), op.location] for op in self.nondeterministic_ops],
                )
                if self.nondeterministic_ops
                else None,
            )
        )

    def _timing(self) -> str:
        """One line: which frameworks were seeded at once, on import, or wait for their import."""
        parts = [f"seeded at once: {', '.join(self.seeded_at_once) or 'none'}"]
        parts.append(f"on import: {', '.join(self.seeded_on_import) or 'none'}")
        if self.waiting:
            parts.append(f"waiting for their import: {', '.join(self.waiting)}")
        return "; ".join(parts)

    def __str__(self) -> str:
        lines = [f"seedwise.seed_everything({self.seed}): {self.mode}"]
        width_fw = max([len("framework")] + [len(a.framework) for a in self.actions])
        width_action = max([len("action")] + [len(a.action) for a in self.actions])
        width_action = min(width_action, 52)
        header = (
            f"  {'framework':<{width_fw}}  {'status':<6}  {'when':<9}  "
            f"{'action':<{width_action}}  detail"
        )
        lines.append(header)
        lines.append("  " + "-" * (len(header) - 2 + 20))
        for a in self.actions:
            lines.append(
                f"  {a.framework:<{width_fw}}  {_MARKS[a.status]:<6}  {a.when:<9}  "
                f"{a.action:<{width_action}}  {a.detail}".rstrip()
            )
        lines.append(f"  {self._timing()}")
        problems = len(self.warnings)
        if problems:
            lines.append(f"  {problems} warning(s): reproducibility can still break where marked.")
        for op in self.nondeterministic_ops:
            lines.append(
                f"  ran without a deterministic kernel: {op.op} ({op.count}x), first at "
                f"{op.location}"
            )
        return "\n".join(lines)
