"""How an experiment function is called: with the run context, with its config as keywords.

An experiment may be written in any of these forms:

- ``def train(ctx)``: the run context, whose ``ctx.config`` holds the config;
- ``def train(epochs=100, lr=1e-3)``: no context; ``--set epochs=10`` fills
  the parameter of that name;
- ``def train(ctx, epochs=100)``: both;
- ``def main()``: neither; the metrics come from ``seedwise.record(...)``;
- ``def train(key, config)``: a pure JAX function of the run's key
  (``seedwise.jax_key(ctx.seed)``) and the config, which seedwise may also
  run K repeats at a time (``--vectorize K``; see
  :mod:`seedwise.experiment.vectorized`).

The context goes to a parameter named ``ctx`` or ``context`` or annotated
``RunContext``; failing those, to a first positional parameter without a
default that no config key names (``def train(run)``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from seedwise.errors import ExperimentError
from seedwise.experiment.child_imports import main_module_of
from seedwise.experiment.vectorized import call_keyed, is_keyed, key_data

__all__ = ["CallPlan", "call_experiment", "plan_call"]

_CONTEXT_NAMES = ("ctx", "context")
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


@dataclass(frozen=True)
class CallPlan:
    """How to call one experiment function with a run's context and config.

    Attributes:
        context: The parameter that receives the run context, or None.
        context_positional: Pass the context as the first positional argument.
        keywords: The config keys passed as keyword arguments.
        extra: Config keys no parameter names, passed to ``**kwargs``.
        keyed: The keyed form ``fn(key, config)``: called with the run's JAX
            key and the whole config, compiled (see :func:`call_keyed`).
    """

    context: str | None
    context_positional: bool
    keywords: tuple[str, ...]
    extra: bool
    keyed: bool = False

    def arguments(
        self, context: Any, config: Mapping[str, Any]
    ) -> tuple[list[Any], dict[str, Any]]:
        """The positional and keyword arguments of the call."""
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        if self.context is not None:
            if self.context_positional:
                args.append(context)
            else:
                kwargs[self.context] = context
        for key in self.keywords:
            if key in config:
                kwargs[key] = config[key]
        if self.extra:
            named = {*self.keywords, self.context}
            kwargs.update({k: v for k, v in config.items() if k not in named})
        return args, kwargs


def _is_context(parameter: inspect.Parameter) -> bool:
    annotation = parameter.annotation
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return parameter.name in _CONTEXT_NAMES or str(text).split(".")[-1] == "RunContext"


def plan_call(name: str, signature: inspect.Signature, config_keys: Iterable[str] = ()) -> CallPlan:
    """Decide how to call the function ``name`` with this signature and these config keys.

    Args:
        name: The function's name, for messages.
        signature: Its signature (from ``inspect.signature``, or built from source).
        config_keys: The keys of the study's config.

    Returns:
        The plan.

    Raises:
        ExperimentError: A parameter without a default that neither the
            context nor the config fills, or (for a function without a
            context) a config key no parameter takes.
    """
    keys = list(config_keys)
    if is_keyed(signature):
        return CallPlan(None, False, (), False, keyed=True)
    parameters = list(signature.parameters.values())
    context = next((p for p in parameters if _is_context(p)), None)
    if context is None:
        first = next((p for p in parameters if p.kind in _POSITIONAL), None)
        if (
            first is not None
            and first.default is inspect.Parameter.empty
            and first.name not in keys
        ):
            context = first
    elif context.kind is inspect.Parameter.VAR_KEYWORD:
        context = None
    named = [
        p
        for p in parameters
        if p is not context
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    extra = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)
    shown = f"{name}{signature}"
    for parameter in named:
        if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
            raise ExperimentError(
                f"Experiment function {name!r} has a positional-only parameter the config "
                f"cannot fill. Received: {shown}; expected {name}(ctx) or keyword parameters "
                "such as epochs=100"
            )
        if parameter.default is inspect.Parameter.empty and parameter.name not in keys:
            raise ExperimentError(
                f"Experiment function {name!r} has a parameter without a default that no "
                f"config value fills. Received: {shown}; expected --set "
                f"{parameter.name}=VALUE (config={{'{parameter.name}': ...}}), or a default"
            )
    takes = {p.name for p in named}
    unused = [k for k in keys if k not in takes]
    if unused and context is None and not extra:
        raise ExperimentError(
            f"Config key {unused[0]!r} matches no parameter of experiment function {name!r}. "
            f"Received: {shown} and config keys {keys}; expected a parameter of that name, "
            "a ctx parameter (ctx.config holds every key), or **kwargs"
        )
    return CallPlan(
        context=None if context is None else context.name,
        context_positional=context is not None and context.kind in _POSITIONAL,
        keywords=tuple(k for k in keys if k in takes),
        extra=extra,
    )


def call_experiment(function: Callable[..., Any], context: Any, name: str | None = None) -> Any:
    """Call ``function`` with the run context and its config, as :func:`plan_call` decides.

    A function sent by value from a script runs with that script as
    ``__main__`` (:func:`~seedwise.experiment.child_imports.main_module_of`),
    so that the processes it starts can unpickle what the script defines.

    Raises:
        ExperimentError: The function cannot be called with this config.
    """
    label = name or str(getattr(function, "__name__", "experiment"))
    with main_module_of(function):
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):
            return function(context)
        plan = plan_call(label, signature, context.config)
        if plan.keyed:
            context.fingerprint("key", key_data(context.seed))
            return call_keyed(function, context.seed, context.config)
        args, kwargs = plan.arguments(context, context.config)
        return function(*args, **kwargs)
