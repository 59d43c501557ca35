"""Which direction of a metric is better: given, inferred from its name, or assumed.

``seedwise compare``, ``seedwise report`` and :func:`seedwise.compare` take a
goal (``"min"``: lower is better; ``"max"``: higher is better). When none is
given, :func:`infer_goal` reads it from the metric's name, and says which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from seedwise.errors import UsageError
from seedwise.stats.curve_metrics import parse_curve_metric

__all__ = [
    "HIGHER_IS_BETTER",
    "LOWER_IS_BETTER",
    "Goal",
    "GoalChoice",
    "GoalSource",
    "check_goal",
    "infer_goal",
]

Goal = Literal["min", "max"]
GoalSource = Literal["given", "inferred", "assumed"]

#: Words of a metric's name that make it a score (higher is better).
HIGHER_IS_BETTER = (
    "accuracy", "acc", "top1", "top5", "f1", "fbeta", "auc", "auroc", "auprc", "roc",
    "precision", "prec", "recall", "r2", "score", "reward", "return", "bleu", "rouge",
    "meteor", "chrf", "map", "ap", "iou", "miou", "dice", "jaccard", "ndcg", "mrr", "hits",
    "psnr", "ssim", "kappa", "mcc", "spearman", "pearson", "likelihood", "elbo",
    "throughput", "fps", "speedup",
)  # fmt: skip
#: Words of a metric's name that make it a loss or a cost (lower is better).
LOWER_IS_BETTER = (
    "loss", "mse", "mae", "rmse", "msle", "rmsle", "mape", "smape", "nll", "logloss",
    "xent", "crossentropy", "error", "err", "perplexity", "ppl", "cer", "wer", "ter", "eer",
    "fpr", "fnr", "regret", "fid", "kl", "divergence", "bpd", "bpc", "cost", "time",
    "seconds", "second", "secs", "sec", "duration", "latency", "runtime", "memory",
)  # fmt: skip
#: Words that turn the rest of the name around, as in scikit-learn's ``neg_log_loss``.
_NEGATED = ("neg", "negative")
#: A word counts with a number after it: ``acc1``, ``top_5``, ``recall@10``, ``rouge2``.
_SCORE = re.compile(rf"(?:{'|'.join(HIGHER_IS_BETTER)}|top)\d*")
_COST = re.compile(rf"(?:{'|'.join(LOWER_IS_BETTER)})\d*")
_TIME = {"time", "seconds", "second", "secs", "sec"}


@dataclass(frozen=True)
class GoalChoice:
    """The goal of one metric, and how it was decided.

    Attributes:
        metric: The metric's name.
        goal: ``"min"`` (lower is better) or ``"max"`` (higher is better).
        source: ``"given"`` by the caller, ``"inferred"`` from the name, or
            ``"assumed"`` (lower is better) because the name says neither.
        word: The word of the name that says which direction is better, or None.
        name_says: The goal the name says (None when it says neither); it
            differs from ``goal`` only when a given goal overrides it.
    """

    metric: str
    goal: Goal
    source: GoalSource
    word: str | None = None
    name_says: Goal | None = None

    @property
    def note(self) -> str:
        """One line for the output, e.g. ``higher is better (inferred from the name 'acc')``."""
        better = "lower is better" if self.goal == "min" else "higher is better"
        if self.source == "given":
            if self.name_says is None or self.name_says == self.goal:
                return f"{better} (given)"
            says = "lower" if self.name_says == "min" else "higher"
            return f"{better} (given, though the name {self.metric!r} suggests {says})"
        if self.source == "assumed":
            return (
                f"lower is better assumed for metric {self.metric!r} (its name does not say); "
                "pass --goal max if higher is better"
            )
        other = "max" if self.goal == "min" else "min"
        where = f"the name {self.metric!r}"
        if self.word is not None and self.word != self.metric.lower():
            where = f"{self.word!r} in {where}"
        return f"{better} (inferred from {where}; --goal {other} to override)"


def check_goal(goal: object) -> Goal | None:
    """``goal`` if it is ``"min"``, ``"max"`` or None (infer it); else an error.

    Args:
        goal: The goal a caller passed.

    Returns:
        The goal, typed.

    Raises:
        UsageError: Any other value.
    """
    if goal is None or goal == "min":
        return goal
    if goal == "max":
        return "max"
    raise UsageError(
        f"Unknown goal. Received: goal={goal!r}; expected 'min', 'max' or None (infer it "
        "from the metric's name)"
    )


def infer_goal(metric: str, goal: str | None = None) -> GoalChoice:
    """The goal of ``metric``: ``goal`` when given, else read from the metric's name.

    The name is split into words at anything but letters and digits and at
    camelCase humps (``val_accuracy``, ``test/acc``, ``evalF1``, ``acc@1``),
    each word compared case-insensitively, with an optional number after it.
    A word of :data:`LOWER_IS_BETTER` (loss, error, time, ...) makes it
    ``"min"``; otherwise a word of :data:`HIGHER_IS_BETTER` (accuracy, f1,
    reward, ...) makes it ``"max"``; so ``top1_error`` and ``time_to_accuracy``
    are ``"min"``. ``neg`` or ``negative`` turns the answer around
    (``neg_log_loss`` is ``"max"``), and a time after ``per`` is a rate
    (``samples_per_second`` is ``"max"``). A name with none of these words is
    ``"min"``, with ``source="assumed"``.

    Args:
        metric: The metric's name.
        goal: ``"min"``, ``"max"``, or None to infer it.

    Returns:
        The :class:`GoalChoice`.

    Raises:
        UsageError: ``goal`` is neither None, ``"min"`` nor ``"max"``.

    Example:
        >>> infer_goal("val_accuracy").goal, infer_goal("eval/loss").goal
        ('max', 'min')
        >>> infer_goal("value").source
        'assumed'
    """
    given = check_goal(goal)
    from_name = _from_name(metric)
    if given is not None:
        return GoalChoice(metric, given, "given", from_name.word, from_name.name_says)
    return from_name


def _from_name(metric: str) -> GoalChoice:
    """The goal the name says, or lower is better assumed.

    A curve metric's goal is its logged metric's (``auc(loss)``: lower), except
    ``steps_to(...)``, where fewer steps are better.
    """
    try:
        curve = parse_curve_metric(metric)
    except UsageError:
        curve = None
    if curve is not None:
        if curve.kind == "steps_to":
            return GoalChoice(metric, "min", "inferred", "steps_to", "min")
        inner = _from_name(curve.metric)
        return GoalChoice(metric, inner.goal, inner.source, inner.word, inner.name_says)
    words = _words(metric)
    negated = any(word in _NEGATED for word in words)
    cost = score = None
    for before, word in zip(["", *words], words, strict=False):
        if before == "per" and word in _TIME:
            score = score or word
        elif _COST.fullmatch(word):
            cost = cost or word
        elif _SCORE.fullmatch(word) and word != "top":
            score = score or word
    if cost is None and score is None:
        return GoalChoice(metric, "min", "assumed")
    lower = cost is not None
    goal: Goal = "min" if lower != negated else "max"
    return GoalChoice(metric, goal, "inferred", cost or score, goal)


def _words(metric: str) -> list[str]:
    """The name's words, lower-cased: ``"test/Top-1_acc"`` -> ``["test", "top1", "acc"]``."""
    # A number after a separator belongs to the word before it: top-1, acc@5, rouge_2.
    joined = re.sub(r"(?<=[A-Za-z])[-_ .@/:]+(?=\d)", "", metric)
    words: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", joined):
        humps = re.findall(r"[A-Z]+\d*(?![a-z])|[A-Z]?[a-z]+\d*|\d+", part)
        # "mAP" is one word, not "m" and "AP": keep the whole part as well as its humps.
        words.extend(dict.fromkeys(word.lower() for word in (part, *humps) if word))
    return words
