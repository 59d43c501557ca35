"""What names an experiment: its reference, read from text once, into one of three types.

A study stores its experiment as one line of text; each kind has its type:

- :class:`FunctionRef`, a function in a file or a module:
  ``path/to/train.py:fn``, ``package.module:fn``;
- :class:`ScriptRef`, a plain script run as ``__main__`` with its arguments:
  ``path/to/train.py --lr 0.01`` (stored shell-quoted);
- :class:`ByValueRef`, a function sent by value (cloudpickle): one defined in
  a notebook cell or in the ``__main__`` script that calls ``seedwise.run``,
  stored as ``__main__:fn``. Its bytes travel with it; text alone cannot
  name it again.

:func:`parse_reference` is where text becomes a reference, and each type's
``text`` is its stored form: every other module takes the typed value. A
parse reads the text, not the files, except to tell whether a path with
spaces names a file; :func:`~seedwise.experiment.resolve.resolve_experiment`
then finds the file, module and function, and checks them without running
them.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from seedwise.errors import ExperimentError

__all__ = [
    "BY_VALUE_MODULE",
    "REFERENCE_FORMS",
    "ByValueRef",
    "ExperimentRef",
    "FunctionRef",
    "ScriptRef",
    "named_as_stored",
    "parse_function_reference",
    "parse_reference",
    "same_experiment",
]

#: The module part of the stored reference of a function sent by value.
BY_VALUE_MODULE = "__main__"

_FUNCTION_FORMS = "'path/to/file.py:fn' or 'package.module:fn'"
#: The forms a reference's text takes, for messages: "expected " + this.
REFERENCE_FORMS = "'path/to/file.py:fn', 'package.module:fn' or a script 'path/to/train.py'"
_EXPECTED = f"expected {REFERENCE_FORMS}"
_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def _is_file(target: str) -> bool:
    """Whether a function's target is a file (rather than a dotted module name)."""
    return target.endswith(".py") or "/" in target or os.sep in target


@dataclass(frozen=True)
class FunctionRef:
    """A function in a file or a module: ``path/to/train.py:fn`` or ``package.module:fn``.

    Attributes:
        target: The file's path (stored resolved) or the module's dotted name.
        function: The function's name.
    """

    target: str
    function: str

    @property
    def text(self) -> str:
        """The stored form: ``target:function``."""
        return f"{self.target}:{self.function}"

    @property
    def in_file(self) -> bool:
        """Whether the target is a file (ends in ``.py`` or holds a path separator)."""
        return _is_file(self.target)

    @property
    def file(self) -> Path | None:
        """The file that holds the function, or None for a module."""
        return Path(self.target) if self.in_file else None

    @property
    def name(self) -> str:
        """A short name: the file's stem or the module, and the function: ``train.fit``."""
        stem = Path(self.target).stem if self.target.endswith(".py") else self.target
        return f"{stem}.{self.function}"


@dataclass(frozen=True)
class ScriptRef:
    """A plain script, run as ``__main__`` with its arguments: ``train.py --lr 0.01``.

    Attributes:
        path: The script's path (stored resolved).
        argv: Its arguments, ``sys.argv[1:]`` when it runs.
    """

    path: str
    argv: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The stored form: the path and the arguments, shell-quoted."""
        return shlex.join([self.path, *self.argv])

    @property
    def file(self) -> Path:
        """The script's file."""
        return Path(self.path)

    @property
    def name(self) -> str:
        """A short name: the script's stem."""
        return Path(self.path).stem


@dataclass(frozen=True)
class ByValueRef:
    """A function sent by value (cloudpickle), from a notebook or a ``__main__`` script.

    Attributes:
        function: Its name (made an identifier): the ``fn`` of ``__main__:fn``.
        payload: The function, serialised by value.
        definitions: Its source and that of what it uses from its notebook or
            script, as ``(name, text)`` pairs, read where it was defined (see
            :func:`~seedwise.experiment.code.definitions.capture_definitions`):
            what its code identity is made of.
        origin: The stem of the script or notebook that defined it (see
            :func:`~seedwise.experiment.code.definitions.defined_in`), or None
            where none is known: the start of its short name.
    """

    function: str
    payload: bytes = field(repr=False)
    definitions: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    origin: str | None = None

    @property
    def text(self) -> str:
        """The stored form: ``__main__:function``."""
        return f"{BY_VALUE_MODULE}:{self.function}"

    @property
    def file(self) -> None:
        """None: the function has no file of its own."""
        return None

    @property
    def name(self) -> str:
        """A short name: the defining script or notebook and the function (``analysis.train``).

        The function alone (``train``) where the definer is not known: never
        ``__main__.train``, since a name that starts with ``_`` is one that
        matplotlib leaves out of a legend.
        """
        return f"{self.origin}.{self.function}" if self.origin else self.function


#: An experiment's reference, of one of the three kinds.
ExperimentRef = FunctionRef | ScriptRef | ByValueRef


def _text(text: object, expected: str) -> str:
    if not isinstance(text, str):
        raise ExperimentError(
            f"An experiment reference must be a str. Received: ref={text!r} "
            f"(of type {type(text).__name__}); {expected}"
        )
    return text.strip()


def _function(ref: str, *, only: bool) -> FunctionRef | None:
    """The function ``ref`` names, or None when it has no ``target:fn`` form.

    Args:
        ref: The reference's text, stripped.
        only: Whether ``ref`` must name a function: it is refused, not
            None, when it does not. Otherwise a target with spaces counts
            only when it is a file: a script's arguments may hold a colon too.
    """
    expected = f"expected {_FUNCTION_FORMS}" if only else _EXPECTED
    # The last colon, so that a Windows drive letter ("C:\\x.py:fn") stays in the path.
    target, _, function = ref.rpartition(":")
    if not target or not function.isidentifier():
        if not only:
            return None
        if target and function:
            raise ExperimentError(
                "Experiment function name is not a Python identifier. "
                f"Received: ref={ref!r} (function {function!r}); {expected}"
            )
        raise ExperimentError(
            f"Experiment reference has no ':fn' part naming the function. Received: "
            f"ref={ref!r}; {expected}"
        )
    if not only and any(c.isspace() for c in target) and not Path(target).is_file():
        return None
    if target == BY_VALUE_MODULE:
        raise ExperimentError(
            f"A function defined in a notebook or in __main__ can only be run from Python. "
            f"Received: ref={ref!r}; expected seedwise.run(fn) in the session that defines "
            "it, or a reference to a file or module"
        )
    if not _is_file(target) and not _MODULE_NAME.match(target):
        raise ExperimentError(
            f"Experiment module name is not a dotted Python name. Received: ref={ref!r}; {expected}"
        )
    return FunctionRef(target, function)


def parse_function_reference(text: str) -> FunctionRef:
    """Read a reference that must name a function: ``path/to/file.py:fn`` or ``module:fn``.

    Args:
        text: The reference. A target ending in ``.py`` or holding a path
            separator is a file; any other is a dotted module name.

    Returns:
        The function's reference, its path as written (not resolved).

    Raises:
        ExperimentError: ``text`` is not a str, has no ``:fn`` part, its
            function part is not an identifier, its module part is not a
            dotted name, or it names a function sent by value.
    """
    found = _function(_text(text, f"expected {_FUNCTION_FORMS}"), only=True)
    assert found is not None  # only=True refuses what is not a function
    return found


def parse_reference(text: str) -> FunctionRef | ScriptRef:
    """Read a reference as typed or stored: a function, or a script and its arguments.

    Args:
        text: ``path/to/file.py:fn``, ``package.module:fn``, or a script
            ``path/to/train.py`` followed by its arguments (shell words, as
            stored: ``'/my dir/train.py' --lr 0.01``; a path with spaces that
            names a file may be given unquoted, without arguments).

    Returns:
        A :class:`FunctionRef` or a :class:`ScriptRef`, paths as written.
        A function sent by value has no text form to read back.

    Raises:
        ExperimentError: ``text`` is not a str, names neither a function nor
            a script, has unbalanced quotes, names a module by a name that is
            not dotted, or names a function sent by value (``__main__:fn``).

    Example:
        >>> parse_reference("train.py --lr 0.01")
        ScriptRef(path='train.py', argv=('--lr', '0.01'))
        >>> parse_reference("pkg.train:fit").text
        'pkg.train:fit'
    """
    ref = _text(text, _EXPECTED)
    found = _function(ref, only=False)
    if found is not None:
        return found
    if Path(ref).expanduser().is_file():
        words = [ref]
    else:
        try:
            words = shlex.split(ref)
        except ValueError as error:
            raise ExperimentError(
                f"Experiment reference cannot be read as shell words: {error}. "
                f"Received: ref={ref!r}; {_EXPECTED}, its arguments quoted as in a shell"
            ) from None
    if not words or (not words[0].endswith(".py") and not Path(words[0]).expanduser().is_file()):
        raise ExperimentError(
            f"Experiment reference names neither a function nor a script. Received: "
            f"ref={ref!r}; {_EXPECTED}"
        )
    return ScriptRef(words[0], tuple(words[1:]))


def same_experiment(stored: str, wanted: ExperimentRef) -> bool:
    """Whether a study's stored reference names the experiment ``wanted``.

    References stored by earlier versions may hold a relative path to a
    function's file: it is resolved against the working directory first.

    Args:
        stored: The reference text a study holds.
        wanted: The experiment, resolved.

    Returns:
        True when both name one experiment.
    """
    if stored == wanted.text:
        return True
    try:
        parsed = parse_reference(stored)
    except ExperimentError:
        return False
    if isinstance(parsed, FunctionRef) and parsed.target.endswith(".py"):
        resolved = FunctionRef(_resolved(parsed.target), parsed.function)
        return resolved.text == wanted.text
    return False


def named_as_stored(stored: str, named: FunctionRef | ScriptRef) -> FunctionRef | ScriptRef | None:
    """The experiment a user named, when it is the code a study's stored reference names.

    What the user names is the code: the same file (paths resolved) or
    module, and the same function, or the same script. A script's arguments
    are the study's, like its config: those the user names, if any, must be
    the stored ones, and the stored ones are kept.

    Args:
        stored: The reference text a study holds.
        named: The experiment the user named, resolved.

    Returns:
        ``named``, with the stored arguments for a script; None when it
        names other code, or ``stored`` is no reference.
    """
    try:
        parsed = parse_reference(stored)
    except ExperimentError:
        return None
    if isinstance(parsed, ScriptRef) and isinstance(named, ScriptRef):
        same = _resolved(parsed.path) == named.path and named.argv in ((), parsed.argv)
        return ScriptRef(named.path, parsed.argv) if same else None
    if isinstance(parsed, FunctionRef) and isinstance(named, FunctionRef):
        target = _resolved(parsed.target) if parsed.in_file else parsed.target
        same = parsed.in_file == named.in_file and target == named.target
        return named if same and parsed.function == named.function else None
    return None


def _resolved(path: str) -> str:
    """A file's path as a resolved reference holds it."""
    return str(Path(path).expanduser().resolve())
