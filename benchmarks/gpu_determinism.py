"""Does seedwise's deterministic mode make GPU training reproduce bit for bit, and at what cost?

Run from the repository root on a CUDA machine:

    PYTHONPATH=src python3 benchmarks/gpu_determinism.py --markdown gpu.md

For each framework that imports (torch, JAX, Keras 3 on the torch or JAX
backend, TensorFlow), it trains a small model whose gradients go through
scatter-adds with repeated indices (CUDA atomics, nondeterministic unless
deterministic ops are on) in fresh processes with the same seed: with
``seed_everything(seed, deterministic=True)`` and with ``deterministic=False``.
It prints, per framework and mode, whether the SHA-256 digests of the final
weights are identical, how many distinct digests there were, the largest
difference in final loss, the median time of the timed training loop (after
warm-up and compilation), and the slowdown of deterministic mode. Without CUDA
it prints one line per framework and exits 0; ``--cpu`` runs the same pipeline
on the CPU with tiny sizes, as a smoke test.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

FRAMEWORKS = ("torch", "jax", "keras", "tensorflow")
MODES = ("deterministic", "default")
SEED = 1234
_RESULT_PREFIX = "RESULT "
_SRC = Path(__file__).resolve().parents[1] / "src"
# Set by the caller's shell, these would make the default mode deterministic too.
_DETERMINISM_VARIABLES = (
    "CUBLAS_WORKSPACE_CONFIG",
    "TF_DETERMINISTIC_OPS",
    "TF_CUDNN_DETERMINISTIC",
)

Result = dict[str, Any]


@dataclass(frozen=True)
class Sizes:
    """The synthetic workload: ``batch`` bags of ``bag`` indices into ``vocab`` rows."""

    vocab: int
    dim: int
    batch: int
    bag: int
    groups: int
    batches: int
    warmup: int
    steps: int


GPU_SIZES = Sizes(vocab=512, dim=64, batch=16384, bag=32, groups=64, batches=4, warmup=5, steps=200)
CPU_SIZES = Sizes(vocab=64, dim=16, batch=256, bag=8, groups=8, batches=4, warmup=2, steps=20)


def _dataset(seed: int, sizes: Sizes) -> dict[str, Any]:
    """Indices with many repeats, bag weights, group ids and targets, from a seeded generator."""
    import numpy as np

    from seedwise import rng

    generator = rng(seed, "gpu_determinism", "data")
    shape = (sizes.batches, sizes.batch, sizes.bag)
    index = generator.integers(0, sizes.vocab, shape)
    target = np.sin(index[..., 0] / 7.0) + 0.1 * generator.standard_normal(shape[:2])
    return {
        "index": index.astype(np.int32),
        "weight": generator.random(shape, dtype=np.float32),
        "group": generator.integers(0, sizes.groups, shape[:2]).astype(np.int32),
        "target": target.astype(np.float32),
    }


def _timed(step: Callable[[int], Any], sizes: Sizes, sync: Callable[[], None]) -> tuple[Any, float]:
    """Run the warm-up steps, then time the rest; returns the last step's loss and the time."""
    for i in range(sizes.warmup):
        step(i)
    sync()
    start = time.perf_counter()
    loss = None
    for i in range(sizes.warmup, sizes.warmup + sizes.steps):
        loss = step(i)
    sync()
    return loss, time.perf_counter() - start


def _result(
    arrays: Iterable[Any], loss: Any, seconds: float, device: str, **versions: Any
) -> Result:
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(array.tobytes())
    return {
        "digest": digest.hexdigest(),
        "loss": float(loss),
        "seconds": seconds,
        "device": device,
        "versions": versions,
    }


def _train_torch(seed: int, sizes: Sizes, cpu: bool) -> Result:
    import torch

    if not cpu and not torch.cuda.is_available():
        return {"status": "no-cuda"}
    device = torch.device("cpu" if cpu else "cuda")
    data = {k: torch.as_tensor(v, device=device) for k, v in _dataset(seed, sizes).items()}
    data["index"], data["group"] = data["index"].long(), data["group"].long()
    d = sizes.dim
    embedding = torch.nn.Embedding(sizes.vocab, d).to(device)
    hidden, head = torch.nn.Linear(2 * d, d).to(device), torch.nn.Linear(d, 1).to(device)
    parameters = [*embedding.parameters(), *hidden.parameters(), *head.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=1e-2)

    def step(i: int) -> torch.Tensor:
        b = i % sizes.batches
        group = data["group"][b]
        bag = (embedding(data["index"][b]) * data["weight"][b].unsqueeze(-1)).mean(1)
        # index_add_ forward and gather backward (scatter_add_) use atomics on CUDA.
        pooled = torch.zeros(sizes.groups, d, device=device).index_add(0, group, bag)
        context = (pooled * (sizes.groups / sizes.batch)).gather(0, group[:, None].expand(-1, d))
        out = head(torch.tanh(hidden(torch.cat([bag, context], 1)))).squeeze(1)
        loss = torch.nn.functional.mse_loss(out, data["target"][b])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss

    loss, seconds = _timed(step, sizes, (lambda: None) if cpu else torch.cuda.synchronize)
    name = "cpu" if cpu else torch.cuda.get_device_name()
    arrays = (p.detach().cpu().numpy() for p in parameters)
    return _result(
        arrays, loss.item(), seconds, name, torch=torch.__version__, cuda=torch.version.cuda
    )


def _train_jax(seed: int, sizes: Sizes, cpu: bool) -> Result:
    import jax
    import jax.numpy as jnp

    from seedwise import jax_key

    if not cpu and jax.default_backend() != "gpu":
        return {"status": "no-cuda"}
    d = sizes.dim
    keys = jax.random.split(jax_key(seed), 3)
    params = {
        "table": jax.random.normal(keys[0], (sizes.vocab, d)),
        "hidden": jax.random.normal(keys[1], (2 * d, d)) / (2 * d) ** 0.5,
        "bias": jnp.zeros(d),
        "head": jax.random.normal(keys[2], (d, 1)) / d**0.5,
    }
    data = [jnp.asarray(v) for v in _dataset(seed, sizes).values()]

    def loss_fn(p: dict[str, Any], index: Any, weight: Any, group: Any, target: Any) -> Any:
        # The gather's gradient and segment_sum are scatter-adds with repeated indices.
        bag = (p["table"][index] * weight[..., None]).mean(1)
        pooled = jax.ops.segment_sum(bag, group, sizes.groups) * (sizes.groups / sizes.batch)
        hidden = jnp.tanh(jnp.concatenate([bag, pooled[group]], 1) @ p["hidden"] + p["bias"])
        return jnp.mean(((hidden @ p["head"])[:, 0] - target) ** 2)

    @jax.jit
    def update(p: dict[str, Any], *batch: Any) -> tuple[dict[str, Any], Any]:
        loss, grads = jax.value_and_grad(loss_fn)(p, *batch)
        return jax.tree.map(lambda w, g: w - 0.5 * g, p, grads), loss

    def step(i: int) -> Any:
        nonlocal params
        params, loss = update(params, *(x[i % sizes.batches] for x in data))
        return loss

    loss, seconds = _timed(step, sizes, lambda: jax.block_until_ready(params))
    arrays = (jax.device_get(params[k]) for k in sorted(params))
    flags = os.environ.get("XLA_FLAGS", "")
    return _result(
        arrays, loss, seconds, jax.devices()[0].device_kind, jax=jax.__version__, xla_flags=flags
    )


def _train_keras(seed: int, sizes: Sizes, cpu: bool) -> Result:
    import keras

    backend = keras.backend.backend()
    if backend == "torch":
        import torch

        gpu = torch.cuda.is_available() and torch.cuda.get_device_name()
    else:
        import jax

        gpu = jax.default_backend() == "gpu" and jax.devices()[0].device_kind
    if not cpu and not gpu:
        return {"status": "no-cuda"}
    data = _dataset(seed, sizes)
    model = keras.Sequential(
        [
            keras.Input((sizes.bag,), dtype="int32"),
            keras.layers.Embedding(sizes.vocab, sizes.dim),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(sizes.dim, activation="tanh"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")

    def step(i: int) -> Any:
        b = i % sizes.batches
        return model.train_on_batch(data["index"][b], data["target"][b])

    # train_on_batch returns the loss on the host, which waits for the device.
    loss, seconds = _timed(step, sizes, lambda: None)
    arrays = (keras.ops.convert_to_numpy(w) for w in model.weights)
    return _result(
        arrays, loss, seconds, "cpu" if cpu else str(gpu), keras=keras.__version__, backend=backend
    )


def _train_tensorflow(seed: int, sizes: Sizes, cpu: bool) -> Result:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not cpu and not gpus:
        return {"status": "no-cuda"}
    d = sizes.dim
    data = [tf.constant(v) for v in _dataset(seed, sizes).values()]
    shapes = [(sizes.vocab, d), (2 * d, d), (d, 1)]
    variables = [tf.Variable(tf.random.normal(s) / s[0] ** 0.5) for s in shapes]

    @tf.function
    def update(index: Any, weight: Any, group: Any, target: Any) -> Any:
        table, hidden, head = variables
        with tf.GradientTape() as tape:
            bag = tf.reduce_mean(tf.gather(table, index) * weight[..., None], 1)
            pooled = tf.math.unsorted_segment_sum(bag, group, sizes.groups)
            context = tf.gather(pooled * (sizes.groups / sizes.batch), group)
            out = tf.tanh(tf.concat([bag, context], 1) @ hidden) @ head
            loss = tf.reduce_mean((out[:, 0] - target) ** 2)
        for variable, grad in zip(variables, tape.gradient(loss, variables), strict=True):
            variable.assign_sub(0.5 * tf.convert_to_tensor(grad))
        return loss

    loss, seconds = _timed(
        lambda i: update(*(x[i % sizes.batches] for x in data)), sizes, lambda: None
    )
    name = "cpu" if cpu else tf.config.experimental.get_device_details(gpus[0]).get("device_name")
    return _result(
        (v.numpy() for v in variables), loss, seconds, str(name), tensorflow=tf.__version__
    )


_TRAINERS = {
    "torch": _train_torch,
    "jax": _train_jax,
    "keras": _train_keras,
    "tensorflow": _train_tensorflow,
}


def _child(framework: str, mode: str, sizes: Sizes, cpu: bool) -> None:
    backend = os.environ.get("KERAS_BACKEND", "torch")
    needed = (framework, backend) if framework == "keras" else (framework,)
    if any(find_spec(name) is None for name in needed):
        print(_RESULT_PREFIX + json.dumps({"status": "missing"}), flush=True)
        return
    from seedwise import seed_everything

    deterministic = mode == "deterministic"
    # Seeded before the framework is imported: JAX reads XLA_FLAGS when its backend starts.
    report = seed_everything(
        SEED, deterministic=deterministic, frameworks=("python", "numpy", *needed)
    )
    try:
        result = _TRAINERS[framework](SEED, sizes, cpu)
    except Exception as error:
        if "determinis" not in str(error):
            raise
        result = {"status": "determinism-error", "message": str(error).strip().splitlines()[0]}
    # Only what can keep deterministic mode from acting, such as a flag set too late.
    result["warnings"] = [
        f"{a.action}: {a.detail}"
        for a in report.warnings
        if deterministic and a.framework in FRAMEWORKS
    ]
    result.setdefault("status", "ok")
    print(_RESULT_PREFIX + json.dumps(result), flush=True)


def _child_environment(cpu: bool, keras_backend: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DETERMINISM_VARIABLES}
    flags = [f for f in env.pop("XLA_FLAGS", "").split() if "deterministic_ops" not in f]
    if flags:
        env["XLA_FLAGS"] = " ".join(flags)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_SRC), env.get("PYTHONPATH")) if p)
    env["KERAS_BACKEND"] = keras_backend
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if cpu:
        env["CUDA_VISIBLE_DEVICES"] = ""
        env["JAX_PLATFORMS"] = "cpu"
    return env


def _launch(framework: str, mode: str, args: argparse.Namespace, env: dict[str, str]) -> Result:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        framework,
        mode,
        "--steps",
        str(args.steps),
    ]
    command += ["--cpu"] if args.cpu else []
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=args.timeout
        )
    except subprocess.TimeoutExpired:
        return {"status": "error", "message": f"timed out after {args.timeout} s"}
    lines = [s for s in done.stdout.splitlines() if s.startswith(_RESULT_PREFIX)]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return {"status": "error", "message": tail}
    result: Result = json.loads(lines[-1][len(_RESULT_PREFIX) :])
    result["process_seconds"] = time.perf_counter() - start
    return result


def _summary(results: list[Result]) -> Result:
    ok = [r for r in results if r["status"] == "ok"]
    failed = [r for r in results if r["status"] != "ok"]
    losses = [r["loss"] for r in ok]
    return {
        "runs": len(ok),
        "distinct": len({r["digest"] for r in ok}),
        "loss_spread": max(losses) - min(losses) if losses else None,
        "median_seconds": statistics.median(r["seconds"] for r in ok) if ok else None,
        "failure": f"{failed[0]['status']}: {failed[0].get('message', '')}" if failed else None,
    }


def _sentence(framework: str, summaries: dict[str, Result]) -> str:
    det, default = summaries["deterministic"], summaries["default"]
    if det["failure"] and det["failure"].startswith("determinism-error"):
        first = f"deterministic mode raised ({det['failure'].split(': ', 1)[1]})"
    elif not det["runs"]:
        first = f"deterministic mode gave no result ({det['failure']})"
    elif det["distinct"] == 1:
        first = (
            f"deterministic mode reproduced bit for bit in {det['runs']}/{det['runs']} processes"
        )
    else:
        first = (
            f"deterministic mode gave {det['distinct']} distinct results in {det['runs']} processes"
        )
    if default["distinct"] > 1:
        second = (
            f"without it, {default['distinct']} distinct results in {default['runs']} processes"
        )
    elif default["runs"]:
        second = "without it, identical results (this workload happened to be deterministic)"
    else:
        second = f"without it, no result ({default['failure']})"
    text = f"{framework}: {first}; {second}"
    if det["median_seconds"] and default["median_seconds"]:
        ratio = det["median_seconds"] / default["median_seconds"]
        text += f"; deterministic mode took {ratio:.2f}x the time"
    return text + "."


def _table(outcomes: list[Result]) -> list[str]:
    header = (
        "| framework | mode | runs | identical | distinct | max loss diff | median s | device |"
    )
    lines = [header, "|" + "---|" * 8]
    for o, mode in itertools.product(outcomes, MODES):
        s = o["summaries"][mode]
        spread = "" if s["loss_spread"] is None else f"{s['loss_spread']:.3g}"
        median = "" if s["median_seconds"] is None else f"{s['median_seconds']:.3f}"
        identical = ("yes" if s["distinct"] == 1 else "no") if s["runs"] else ""
        lines.append(
            f"| {o['framework']} | {mode} | {s['runs']} | {identical} | {s['distinct']} "
            f"| {spread} | {median} | {o['device']} |"
        )
    return lines


def _run_framework(framework: str, args: argparse.Namespace, env: dict[str, str]) -> Result:
    """All processes of one framework; modes alternate so drift in speed hits both alike."""
    results: dict[str, list[Result]] = {mode: [] for mode in MODES}
    for repetition, mode in itertools.product(range(args.repetitions), MODES):
        if results[mode] and results[mode][-1]["status"] != "ok":
            continue  # a failure repeats: do not spend the time again
        result = _launch(framework, mode, args, env) | {"repetition": repetition}
        print(
            f"  {framework} {mode} #{repetition + 1}: {result['status']} "
            f"{result.get('digest', '')[:16]}{result.get('message', '')}",
            flush=True,
        )
        if result["status"] in ("missing", "no-cuda"):
            return {"framework": framework, "skipped": result["status"]}
        results[mode].append(result)
    ok = [r for mode in MODES for r in results[mode] if r["status"] == "ok"]
    return {
        "framework": framework,
        "device": ok[0]["device"] if ok else "",
        "versions": ok[0]["versions"] if ok else {},
        "notes": sorted({w for r in ok for w in r.get("warnings", [])}),
        "summaries": {mode: _summary(results[mode]) for mode in MODES},
        "results": results,
    }


def _markdown(
    args: argparse.Namespace, machine: str, table: list[str], sentences: list[str]
) -> str:
    command = "PYTHONPATH=src python3 benchmarks/gpu_determinism.py" + " --cpu" * args.cpu
    return "\n".join(
        [
            "## GPU determinism",
            "",
            f"`{command}`: {args.repetitions} fresh processes per framework and mode, seed {SEED}, "
            f"{args.steps} timed steps after warm-up. Date: {datetime.date.today().isoformat()}. "
            f"Machine: {machine}.",
            "",
            *table,
            "",
            *[f"- {s}" for s in sentences],
            "",
        ]
    )


def _parent(args: argparse.Namespace) -> int:
    env = _child_environment(args.cpu, args.keras_backend)
    started = time.perf_counter()
    outcomes = [_run_framework(f, args, env) for f in args.frameworks.split(",")]
    done = [o for o in outcomes if "skipped" not in o]
    sentences = [
        _sentence(o["framework"], o["summaries"])
        if "summaries" in o
        else f"{o['framework']}: skipped ("
        f"{'not installed' if o['skipped'] == 'missing' else 'no CUDA device'})."
        for o in outcomes
    ]
    table = _table(done) if done else []
    notes = [f"note, {o['framework']}: {n}" for o in done for n in o["notes"]]
    print("\n".join(["", *table, "", *sentences, *notes]))
    print(f"total {time.perf_counter() - started:.1f} s")
    versions = {k: v for o in done for k, v in o["versions"].items() if v}
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"
    machine += "".join(f", {k} {v}" for k, v in sorted(versions.items()))
    if args.json:
        record = {
            "machine": machine,
            "args": vars(args),
            "sizes": asdict(_sizes(args)),
            "frameworks": outcomes,
            "sentences": sentences,
        }
        Path(args.json).write_text(json.dumps(record, indent=2) + "\n")
    if args.markdown:
        Path(args.markdown).write_text(_markdown(args, machine, table, sentences))
    failed = [r for o in done for rs in o["results"].values() for r in rs if r["status"] == "error"]
    return 1 if failed else 0


def _sizes(args: argparse.Namespace) -> Sizes:
    base = CPU_SIZES if args.cpu else GPU_SIZES
    return Sizes(**(asdict(base) | {"steps": args.steps}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=3, help="fresh processes per mode")
    parser.add_argument("--steps", type=int, default=None, help="timed training steps")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument(
        "--keras-backend",
        choices=("torch", "jax"),
        default="torch" if find_spec("torch") else "jax",
    )
    parser.add_argument("--cpu", action="store_true", help="tiny sizes on the CPU (smoke test)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per process")
    parser.add_argument("--json", help="write every raw result to this file")
    parser.add_argument("--markdown", help="write a section for docs/benchmarks.md")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps is None:
        args.steps = (CPU_SIZES if args.cpu else GPU_SIZES).steps
    if args.child:
        _child(args.child[0], args.child[1], _sizes(args), args.cpu)
        return 0
    unknown = sorted(set(args.frameworks.split(",")) - set(FRAMEWORKS))
    if unknown:
        parser.error(f"unknown framework. Received: {unknown}; expected names from {FRAMEWORKS}")
    return _parent(args)


if __name__ == "__main__":
    sys.exit(main())
