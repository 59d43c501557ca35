"""``seedwise curves``: learning curves of stored studies, aligned, with simultaneous bands."""

from __future__ import annotations

import argparse
from typing import Any

from seedwise.commands import options, to_json
from seedwise.commands.options import add_goal_option, add_output_options, store_path
from seedwise.errors import UsageError
from seedwise.stats._align import ALIGN_METHODS
from seedwise.stats._pointwise import STATISTICS
from seedwise.stats.curves import DEFAULT_POINTS, curves
from seedwise.store import open_store

__all__ = ["add_curves_parser"]

#: Grid points, as many as ``--points`` may ask for.
_MOST_POINTS = 10_000


def curves_command(args: argparse.Namespace) -> int:
    """The curves of one metric of the studies, and each later one against the first."""
    if len(set(args.studies)) != len(args.studies):
        raise UsageError(
            f"curves takes each study once. Received: {' '.join(args.studies)}; "
            "expected distinct study names"
        )
    with open_store(store_path(args.store)) as store:
        studies = [store.study(name) for name in args.studies]
        metric = args.metric
        if metric is None:
            logged = store.logged_names(studies[0].name)
            if not logged:
                raise UsageError(
                    f"Study {studies[0].name!r} logged no metric step by step. Received: no "
                    "--metric; expected a study whose runs call ctx.log(step, name=value)"
                )
            metric = logged[0]
        samples = [study.curve_sample(metric, x=args.x) for study in studies]
    result = curves(
        *samples,
        points=args.points,
        method=args.align,
        goal=args.goal,
        seed=args.seed,
        statistic=args.stat,
        paired={"auto": None, "yes": True, "no": False}[args.paired],
    )
    print(to_json(result.to_dict()) if args.json else result.text(args.show))
    return 0


def add_curves_parser(commands: Any) -> None:
    """Add ``curves`` to the subcommands."""
    parser = commands.add_parser(
        "curves",
        help="learning curves over seeds: mean, pointwise interval, simultaneous band, "
        "differences between studies",
    )
    parser.add_argument("studies", nargs="+", metavar="STUDY", help="one or more studies")
    parser.add_argument(
        "--metric", help="a metric logged with ctx.log (default: the first one logged)"
    )
    parser.add_argument(
        "--x",
        type=options.name,
        default="step",
        help="step (default), or another logged metric to use as x (epoch, samples, time)",
    )
    parser.add_argument(
        "--align",
        choices=ALIGN_METHODS,
        default="interpolate",
        help="put runs logged at different x on one grid by linear interpolation (default) "
        "or by the mean in bins",
    )
    parser.add_argument(
        "--points",
        type=options.IntRange(2, _MOST_POINTS, problem="must be a number of grid points"),
        default=DEFAULT_POINTS,
        help=f"grid points (default {DEFAULT_POINTS})",
    )
    parser.add_argument(
        "--show",
        type=options.IntRange(2, 100, problem="must be a number of rows per study"),
        default=5,
        help="x values shown in the table (default 5)",
    )
    parser.add_argument(
        "--stat",
        choices=STATISTICS,
        default="mean",
        help="the statistic at each x: mean (default) or iqm (the interquartile mean, the 25%% "
        "trimmed mean), each with its pointwise interval and simultaneous band",
    )
    parser.add_argument(
        "--paired",
        choices=("auto", "yes", "no"),
        default="auto",
        help="difference curves paired by seed (auto: when the studies share 3 seeds or more; "
        "no: the difference of the two studies' statistics)",
    )
    add_goal_option(parser)
    parser.add_argument(
        "--seed", type=options.seed, default=0, help="seed of the bootstrap (default 0)"
    )
    add_output_options(parser)
    parser.set_defaults(handler=curves_command)
