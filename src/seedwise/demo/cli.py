"""Printing of ``seedwise demo``."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from seedwise.commands import make_console, suggested_command, to_json
from seedwise.commands.options import store_path
from seedwise.demo.story import EXPERIMENT, DemoPlan, DemoResult, run_demo
from seedwise.records import RunRecord
from seedwise.runner.folders import runs_root
from seedwise.seeding import seeding_gaps


def _numbers(values: Sequence[float]) -> str:
    return ", ".join(f"{value:.6g}" for value in values)


def _spread(values: Sequence[float]) -> str:
    if len(values) < 2:
        return ""
    return f" (range {min(values):.3g} to {max(values):.3g}, std {statistics.stdev(values):.3g})"


def _why_tutorial_fails() -> str:

    return "; ".join(action.detail for action in seeding_gaps(["numpy", "tensorflow"]))


def print_result(result: DemoResult, console: Console, elapsed: float) -> None:
    """Tell the story the stored numbers show."""
    plan = result.plan
    unseeded = result.values("unseeded", "mse")
    console.print(
        f"\n[bold]1. No seeding[/bold]: {len(unseeded)} fresh processes, the same network "
        f"and data, {plan.epochs} epochs"
    )
    console.print(f"   MSE: {_numbers(unseeded)}{_spread(unseeded)}")
    distinct = len(set(result.values("unseeded", "weights_digest")))
    console.print(f"   weights: {distinct} distinct results in {len(unseeded)} runs")

    console.print(
        "\n[bold]2. The tutorial's recipe[/bold]: numpy.random.seed(1), then "
        "tensorflow.random.set_seed(2)"
    )
    console.print(f"   MSE: {_numbers(result.values('tutorial', 'mse'))}")
    if result.identical("tutorial"):
        console.print("   weights: identical on this setup")
    else:
        console.print("   weights: [red]still differ[/red] between fresh processes on Keras 3")
    why = _why_tutorial_fails()
    if why:
        console.print(f"   why: {why}")

    seeded = result.values("seeded", "mse")
    console.print(f"\n[bold]3. seedwise.seed_everything(1)[/bold]: {len(seeded)} fresh processes")
    console.print(f"   MSE: {_numbers(seeded)}")
    if result.identical("seeded"):
        console.print("   weights: [green]bit-identical[/green]")
    else:
        console.print("   weights: [red]differ[/red]: this setup is not reproducible")
    if result.check is not None:
        verdict = "reproducible" if result.check.get("reproducible") else "NOT reproducible"
        colour = "green" if result.check.get("reproducible") else "red"
        console.print(
            f"   seedwise check {EXPERIMENT} --seed 1 --set epochs={plan.epochs}: "
            f"[{colour}]{verdict}[/{colour}] (fresh processes with different PYTHONHASHSEED, "
            "and a warm process after another seed; metrics and weight digests compared bit "
            f"for bit; {result.check_path})"
        )

    short, long = result.summaries["short"], result.summaries["long"]
    console.print(
        f"\n[bold]4. {plan.repeats} repeats[/bold] with derived seeds "
        f"(seedwise run, study {result.studies['short'].name})"
    )
    console.print(f"   {short}".replace("\n", "\n   "), markup=False)
    if result.plot is not None:
        console.print(f"   plot: {result.plot}", markup=False)

    console.print(
        f"\n[bold]5. {plan.epochs} against {plan.long_epochs} epochs[/bold], "
        "the same seeds (paired)"
    )
    console.print(f"   {long}".replace("\n", "\n   "), markup=False)
    console.print(f"   {result.comparison}".replace("\n", "\n   "), markup=False)
    if "vectorized" in result.studies:
        console.print(
            f"\n[bold]The same {plan.repeats} repeats, vectorised[/bold]: the network as a pure "
            f"JAX function (seedwise.examples.sequence_jax), {plan.long_epochs} epochs, "
            f"{plan.repeats} seeds per compiled call (--vectorize {plan.repeats}): "
            f"{result.seconds['vectorized']:.1f} s, against {result.seconds['long']:.1f} s for "
            "the Keras study above (0 s when resumed)"
        )
        console.print(f"   {result.summaries['vectorized']}".replace("\n", "\n   "), markup=False)

    console.print("\n[bold]6. Where it all lives[/bold]")
    console.print(f"   store: {result.store}", markup=False)
    store = result.store
    for study in result.studies.values():
        show = suggested_command("show", study.name, store=store)
        console.print(f"   study {study.name}: {show}", markup=False, soft_wrap=True)
    short_name, long_name = result.studies["short"].name, result.studies["long"].name
    repeat = min(17, plan.repeats - 1)
    rerun = suggested_command("rerun", short_name, str(repeat), store=store)
    console.print(f"   rerun repeat {repeat} exactly: {rerun}", markup=False, soft_wrap=True)
    compare = suggested_command(
        "compare", short_name, long_name, "--metric", "mse", "--goal", "min", store=store
    )
    console.print(f"   compare again: {compare}", markup=False, soft_wrap=True)
    console.print(
        f"   what each run printed: {runs_root(result.store)}/<study>/<repeat>/",
        markup=False,
    )
    mode = [
        *(["--backend", plan.backend] if plan.backend != DemoPlan().backend else []),
        *(["--quick"] if plan == DemoPlan.for_mode(plan.backend, quick=True) else []),
    ]
    again = suggested_command("demo", *mode, store=store)
    console.print(
        f"   the whole demo: {again} (resumes; {elapsed:.0f} s this time)",
        markup=False,
        soft_wrap=True,
    )
    if result.report is not None:
        report = suggested_command(
            "report",
            short_name,
            long_name,
            "--metric",
            "mse",
            "-o",
            str(result.report),
            store=store,
        )
        console.print(f"   the report again: {report}", markup=False, soft_wrap=True)
        console.print("\n[bold]Report[/bold] (plots, comparison, environments; opens offline):")
        console.print(f"   {result.report}", markup=False)


def demo_main(args: argparse.Namespace) -> int:
    """Run the demo; 0 if the seeded runs were identical, else 1."""
    console = make_console()
    plan = DemoPlan.for_mode(args.backend, quick=args.quick)
    store = store_path(getattr(args, "store", None))
    if not args.json:
        console.print(
            f"seedwise demo: the tutorial's 1-10-1 network (Adam, MSE) on Keras with the "
            f"{plan.backend} backend; results go to {store}"
        )
    start = time.perf_counter()
    with console.status("starting...", spinner="dots") as status:
        done = [0]

        def on_step(name: str) -> None:
            status.update(f"{name}...")

        def on_record(record: RunRecord) -> None:
            done[0] += 1

        result = run_demo(plan, Path(store), on_step=on_step, on_record=on_record)
    if args.json:
        print(to_json(result.to_dict()))
    else:
        print_result(result, console, time.perf_counter() - start)
    reproducible = result.check is None or bool(result.check.get("reproducible"))
    return 0 if result.identical("seeded") and reproducible else 1
