"""infer_goal: which direction is better, from the caller or the metric's name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from seedwise.errors import UsageError
from seedwise.stats import infer_goal
from seedwise.stats.goal import HIGHER_IS_BETTER, LOWER_IS_BETTER

SCORES = [
    ("accuracy", "accuracy"),
    ("val_accuracy", "accuracy"),
    ("test/acc", "acc"),
    ("eval_f1", "f1"),
    ("top1", "top1"),
    ("Top-5", "top5"),
    ("acc@1", "acc1"),
    ("valAccuracy", "accuracy"),
    ("F1Score", "f1"),
    ("roc_auc", "roc"),
    ("R2", "r2"),
    ("episode_reward", "reward"),
    ("mean_return", "return"),
    ("BLEU", "bleu"),
    ("rougeL", "rouge"),
    ("val/mAP50", "map50"),
    ("mean_iou", "iou"),
    ("dice", "dice"),
    ("precision", "precision"),
    ("recall@10", "recall10"),
    ("samples_per_second", "second"),
    ("neg_log_loss", "loss"),
    ("neg_mean_squared_error", "error"),
]
LOSSES = [
    ("loss", "loss"),
    ("val_loss", "loss"),
    ("train/Loss", "loss"),
    ("mse", "mse"),
    ("MAE", "mae"),
    ("rmse", "rmse"),
    ("nll", "nll"),
    ("error_rate", "error"),
    ("top1_error", "error"),
    ("test_err", "err"),
    ("perplexity", "perplexity"),
    ("eval_ppl", "ppl"),
    ("cer", "cer"),
    ("WER", "wer"),
    ("regret", "regret"),
    ("train_time", "time"),
    ("seconds", "seconds"),
    ("time_to_accuracy", "time"),
    ("negative_log_likelihood", "likelihood"),
]


@pytest.mark.parametrize(
    ("metric", "word", "goal"),
    [*((name, word, "max") for name, word in SCORES), *((n, w, "min") for n, w in LOSSES)],
)
def test_scores_are_higher_is_better_and_losses_lower(metric: str, word: str, goal: str) -> None:
    choice = infer_goal(metric)
    assert (choice.goal, choice.source, choice.word, choice.name_says) == (
        goal,
        "inferred",
        word,
        goal,
    )
    better, other = ("higher", "min") if goal == "max" else ("lower", "max")
    assert choice.note.startswith(f"{better} is better (inferred from ")
    assert choice.note.endswith(f"the name {metric!r}; --goal {other} to override)")


@pytest.mark.parametrize("metric", ["value", "widgets", "heatmap", "topk", "ce", "x1"])
def test_a_name_that_says_neither_assumes_lower_and_says_so(metric: str) -> None:
    choice = infer_goal(metric)
    assert (choice.goal, choice.source, choice.word, choice.name_says) == (
        "min",
        "assumed",
        None,
        None,
    )
    assert choice.note == (
        f"lower is better assumed for metric {metric!r} (its name does not say); "
        "pass --goal max if higher is better"
    )


def test_the_note_names_the_deciding_word_when_it_is_not_the_whole_name() -> None:
    assert infer_goal("accuracy").note == (
        "higher is better (inferred from the name 'accuracy'; --goal min to override)"
    )
    assert infer_goal("Top1_Error").note == (
        "lower is better (inferred from 'error' in the name 'Top1_Error'; --goal max to override)"
    )


@pytest.mark.parametrize(
    ("metric", "goal", "note"),
    [
        ("accuracy", "max", "higher is better (given)"),
        ("accuracy", "min", "lower is better (given, though the name 'accuracy' suggests higher)"),
        ("loss", "max", "higher is better (given, though the name 'loss' suggests lower)"),
        ("widgets", "max", "higher is better (given)"),
    ],
)
def test_a_given_goal_always_wins(metric: str, goal: str, note: str) -> None:
    choice = infer_goal(metric, goal)
    assert (choice.goal, choice.source, choice.note) == (goal, "given", note)


@pytest.mark.parametrize("goal", ["up", "MAX", "", 1])
def test_a_bad_goal_is_refused_with_what_was_received(goal: object) -> None:
    with pytest.raises(UsageError, match=f"Unknown goal. Received: goal={goal!r}; expected"):
        infer_goal("accuracy", goal)  # type: ignore[arg-type]


def test_no_word_is_on_both_lists() -> None:
    assert not set(HIGHER_IS_BETTER) & set(LOWER_IS_BETTER)


def test_the_documented_names_are_the_rule() -> None:
    text = (Path(__file__).parents[2] / "docs" / "statistics.md").read_text(encoding="utf-8")
    cells = [line.split("|")[1:3] for line in text.splitlines() if line.startswith("| ")]
    table = {goal.strip(): words for words, goal in cells}
    lower = [word.strip() for word in table["`min`: lower is better"].split(",")]
    higher = [
        re.sub(r"\(.*\)", "", word).strip()
        for word in table["`max`: higher is better"].removeprefix(" otherwise:").split(",")
    ]
    assert lower == list(LOWER_IS_BETTER)
    assert higher == list(HIGHER_IS_BETTER)
