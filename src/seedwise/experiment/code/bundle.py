"""Code that travels: an experiment's own files, sent to a machine that may not have them.

A cluster's workers need not share the submitting machine's files. A
:class:`CodeBundle` holds the files :func:`~seedwise.experiment.code.identity.code_identity`
reads (the experiment's file and the user's own modules it imports; not the
standard library, installed packages or seedwise, which the workers must
have installed) with their layout, and the folders they are imported from.
Where the run lands, :meth:`CodeBundle.place` uses the original files when
they are there with the same bytes (a shared filesystem, a local cluster),
and otherwise writes the bundle's copies under a folder of its own and
points the experiment at them. Either way the code identity is then
computed again where the run executes, and compared with the study's.

A function sent by value (:class:`~seedwise.experiment.reference.ByValueRef`)
needs no bundle: its bytes travel with every task.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from seedwise.experiment.code.identity import identity_files, is_installed
from seedwise.experiment.reference import ByValueRef, ExperimentRef, FunctionRef, ScriptRef

__all__ = ["CodeBundle", "PlacedCode", "bundle_code"]


@dataclass(frozen=True)
class PlacedCode:
    """An experiment's code, placed on the machine that runs it.

    Attributes:
        experiment: The experiment, its reference pointing at the placed file.
        import_paths: Folders to put on ``PYTHONPATH`` so that its imports resolve.
        copied: Whether the bundle's copies are used (False: the original files).
    """

    experiment: ExperimentRef
    import_paths: tuple[str, ...]
    copied: bool


@dataclass(frozen=True)
class CodeBundle:
    """An experiment's own source files, with their layout.

    Attributes:
        anchor: The folder, on the submitting machine, every path below is relative to.
        files: ``(path relative to anchor, bytes)`` of each file.
        import_roots: Folders (relative to ``anchor``) the files are imported from.
        digest: SHA-256 hex over the paths and bytes: the bundle's folder name.
    """

    anchor: str
    files: tuple[tuple[str, bytes], ...]
    import_roots: tuple[str, ...]
    digest: str

    def originals_present(self) -> bool:
        """Whether every file is at its original path with the same bytes."""
        for relative, data in self.files:
            path = Path(self.anchor) / relative
            try:
                if path.read_bytes() != data:
                    return False
            except OSError:
                return False
        return True

    def write(self, base: Path) -> Path:
        """Write the files under ``base / digest`` (once; atomically) and return that folder."""
        target = base / self.digest
        if target.is_dir():
            return target
        base.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{self.digest[:12]}-", dir=base))
        for relative, data in self.files:
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for relative in self.import_roots:
            (staging / relative).mkdir(parents=True, exist_ok=True)
        try:
            staging.rename(target)
        except OSError:
            # Another run on this machine placed the same bundle first.
            shutil.rmtree(staging, ignore_errors=True)
        return target

    def place(self, experiment: ExperimentRef, base: Path) -> PlacedCode:
        """The experiment as it runs here: on the original files, or on copies under ``base``.

        Args:
            experiment: The experiment the bundle was made from.
            base: Where copies go when the original files are not here.

        Returns:
            The placed experiment and the folders its imports need.
        """
        if self.originals_present():
            root, copied = Path(self.anchor), False
        else:
            root, copied = self.write(base), True
        paths = tuple(str(root / relative) for relative in self.import_roots)
        original = experiment.file
        if not copied or original is None or isinstance(experiment, ByValueRef):
            return PlacedCode(experiment, paths, copied)
        placed = str(root / os.path.relpath(original, self.anchor))
        moved = (
            replace(experiment, path=placed)
            if isinstance(experiment, ScriptRef)
            else replace(experiment, target=placed)
        )
        return PlacedCode(moved, paths, copied)


def _module_root(ref: FunctionRef, path: Path) -> Path:
    """The folder a module experiment's dotted name is imported from."""
    depth = len(ref.target.split("."))
    if path.name == "__init__.py":
        depth += 1
    return path.parents[depth - 1]


def bundle_code(experiment: ExperimentRef) -> CodeBundle | None:
    """The files a worker needs to run ``experiment``, or None when none need to travel.

    None for a function serialised by value (it travels in the task) and for
    a module of an installed package (the workers must have it installed; its
    identity is still checked where it runs).

    Raises:
        ExperimentError: The experiment's file is gone, or a module has no source file.
    """
    if isinstance(experiment, ByValueRef):
        return None
    folder, files, roots = identity_files(experiment)
    own = [file for index, file in enumerate(files) if index == 0 or not is_installed(file)]
    if is_installed(own[0]):
        own = own[1:]
    if not own:
        return None
    # A file's own folder is searched as it loads; a module's root, and the
    # folders the user's other modules come from, must be on the import path.
    needed = (
        [_module_root(experiment, files[0])]
        if isinstance(experiment, FunctionRef) and not experiment.in_file
        else []
    )
    for file in own[1:]:
        holder = next((root for root in roots if file.is_relative_to(root)), None)
        if holder is not None and holder != folder and holder not in needed:
            needed.append(holder)
    anchor = Path(os.path.commonpath([*own, *needed, folder]))
    if anchor in own:
        anchor = anchor.parent
    contents = tuple((os.path.relpath(file, anchor), file.read_bytes()) for file in own)
    digest = hashlib.sha256()
    for relative, data in contents:
        digest.update(relative.encode() + b"\0" + hashlib.sha256(data).digest())
    return CodeBundle(
        anchor=str(anchor),
        files=contents,
        import_roots=tuple(os.path.relpath(root, anchor) for root in needed),
        digest=digest.hexdigest(),
    )
