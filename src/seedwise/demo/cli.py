"""Printing of ``seedwise demo``."""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Sequence

from rich.console import Console

from seedwise.demo.story import DemoResult, FreshRun, run_demo


def _mses(runs: Sequence[FreshRun]) -> str:
    return ", ".join(f"{run.mse:.6g}" for run in runs)


def _spread(runs: Sequence[FreshRun]) -> str:
    values = [run.mse for run in runs]
    if len(values) < 2:
        return ""
    return f" (range {min(values):.3g} to {max(values):.3g}, std {statistics.stdev(values):.3g})"


def _missing_pieces(result: DemoResult) -> list[str]:
    reasons: list[str] = []
    for run in result.tutorial:
        for action in (run.report or {}).get("actions", []):
            if action["status"] == "warning" and action["framework"] == "python":
                reasons.append(action["detail"])
    return sorted(set(reasons))


def print_result(result: DemoResult, console: Console) -> None:
    """Tell the story the numbers show."""
    identical_tutorial = DemoResult.identical(result.tutorial)
    identical_seeded = DemoResult.identical(result.seeded)
    console.print(
        f"\n[bold]1. No seeding[/bold]: {len(result.unseeded)} fresh processes, "
        f"the same network and data, {result.epochs} epochs"
    )
    console.print(f"   MSE: {_mses(result.unseeded)}{_spread(result.unseeded)}")
    verdict = "all differ" if len({r.weights for r in result.unseeded}) > 1 else "identical"
    console.print(f"   weights: {verdict}")

    console.print(
        "\n[bold]2. The tutorial's recipe[/bold]: numpy.random.seed(1), then "
        "tensorflow.random.set_seed(2)"
    )
    console.print(f"   MSE: {_mses(result.tutorial)}")
    if identical_tutorial:
        console.print("   weights: identical on this setup")
    else:
        console.print("   weights: [red]still differ[/red] between fresh processes on Keras 3")
    for reason in _missing_pieces(result):
        console.print(f"   why: {reason}")

    console.print(
        f"\n[bold]3. seedwise.seed_everything({result.seeded[0].seed})[/bold]: "
        f"{len(result.seeded)} fresh processes"
    )
    console.print(f"   MSE: {_mses(result.seeded)}")
    if identical_seeded:
        digest = result.seeded[0].weights[:16]
        console.print(f"   weights: [green]bit-identical[/green] (sha256 {digest}...)")
    else:
        console.print("   weights: [red]differ[/red]: this setup is not reproducible")


def demo_main(args: argparse.Namespace) -> int:
    """Run the demo for the parsed arguments; 0 if seeded runs were identical, else 1."""
    console = Console(highlight=False)
    epochs = 20 if args.quick else 100
    if not args.json:
        console.print(
            f"seedwise demo: the tutorial's 1-10-1 network (Adam, MSE, {epochs} epochs) "
            f"on Keras with the {args.backend} backend, each run in a fresh process"
        )
    with console.status("training in fresh processes...", spinner="dots") as status:
        done: list[FreshRun] = []

        def on_run(run: FreshRun) -> None:
            done.append(run)
            status.update(f"training in fresh processes... {len(done)} done")

        runs = 2 if args.quick else 3
        result = run_demo(
            backend=args.backend, epochs=epochs, unseeded=runs, tutorial=2, seeded=2, on_run=on_run
        )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print_result(result, console)
    return 0 if DemoResult.identical(result.seeded) else 1
