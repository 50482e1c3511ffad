"""Checksums of a benchmark file's metadata, so that damage shows as corruption, never as another table.

HDF5 checksums chunk data (Fletcher-32, see :mod:`.layout`) and, in the file format we write, object
headers; attributes kept in a group's dense attribute storage and the shape of the file (which groups
exist) are not covered. A flipped byte there could turn ``"lr": 0.1`` into another key, or make a recipe
group vanish from the listing, and a reader would show an empty or different table without complaint.

So every writer *seals* the file on commit (:func:`seal`):

- each recipe group, and each extra per-arch metric, gets ``metadata_sha256``: a SHA-256 over all its
  other attributes, canonically encoded (:func:`attrs_digest`);
- the root gets ``contents`` (the sorted ``dataset/recipe`` paths) and its own ``metadata_sha256`` over
  its attributes, ``contents`` included.

A reader (:func:`verify_root`, :func:`verify_attrs`) recomputes them and raises
:class:`~nasbench_lab.benchmark.errors.BenchmarkFormatError` on any mismatch. Files written before
checksums existed have no root ``metadata_sha256``; they stay readable, unchecked, and the next write
seals them. A root that has one makes every checksum below it mandatory.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from nasbench_lab.benchmark.errors import BenchmarkFormatError
from nasbench_lab.benchmark.schema import FORMAT_NAME, FORMAT_VERSION
from nasbench_lab.errors import NasbenchLabError
from nasbench_lab.space import N_ARCHS

CHECKSUM_ATTR = "metadata_sha256"
CONTENTS_ATTR = "contents"
_DAMAGED = "its metadata is damaged: restore the file from a copy or re-create it"


def _plain(value: Any) -> Any:
    """An attribute value as JSON-encodable plain data (arrays become lists, bytes text)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="surrogateescape")
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()] if value.dtype.kind in "OSU" else value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def attrs_digest(attrs: h5py.AttributeManager) -> str:
    """SHA-256 (hex) over every attribute but the checksum itself: name, dtype kind and value."""
    items = {}
    for name in sorted(attrs):
        if name == CHECKSUM_ATTR:
            continue
        value = attrs[name]
        kind = getattr(value, "dtype", np.asarray(value).dtype).kind
        items[name] = [kind, _plain(value)]
    text = json.dumps(items, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def recipe_paths(file: h5py.File, skip: Iterable[str] = ()) -> list[str]:
    """Sorted ``dataset/recipe`` paths of the file, from its link tables (objects are not opened)."""
    skipped = set(skip)
    return sorted(f"{d}/{r}" for d in file if d not in skipped for r in file[d])


def seal(file: h5py.File, objects: Iterable[h5py.HLObject], skip: Iterable[str] = ()) -> None:
    """Write the checksums of ``objects`` and then the root's (with ``contents``) in a writable file.

    Args:
        file: the file.
        objects: the groups and datasets whose attributes are checksummed (see :func:`checked_objects`).
        skip: root-level names that are not datasets (the extra metrics' group).
    """
    paths = recipe_paths(file, skip)
    for obj in objects:
        obj.attrs[CHECKSUM_ATTR] = attrs_digest(obj.attrs)
    file.attrs[CONTENTS_ATTR] = json.dumps(paths)
    file.attrs[CHECKSUM_ATTR] = attrs_digest(file.attrs)


def is_sealed(file: h5py.File) -> bool:
    """Whether the file carries checksums (files written before they existed do not)."""
    return CHECKSUM_ATTR in file.attrs


def verify_attrs(obj: h5py.HLObject, path: str | os.PathLike[str], required: bool) -> None:
    """Check ``obj``'s ``metadata_sha256`` against its attributes.

    Args:
        obj: a recipe group, an extra metric, or the root.
        path: the file, for the message.
        required: whether a missing checksum is damage (the root says the file is sealed).

    Raises:
        BenchmarkFormatError: a missing (when required) or mismatching checksum.
    """
    stored = obj.attrs.get(CHECKSUM_ATTR)
    if stored is None:
        if required:
            raise BenchmarkFormatError(f"{path}: object {obj.name} has lost its checksum; {_DAMAGED}")
        return
    if str(_plain(stored)) != attrs_digest(obj.attrs):
        raise BenchmarkFormatError(f"{path}: the attributes of {obj.name} do not match their checksum; {_DAMAGED}")


def verify_root(file: h5py.File, path: str | os.PathLike[str], paths: list[str]) -> None:
    """Check the root's checksum and that ``paths`` (the recipes found) are the ones the writer sealed.

    Raises:
        BenchmarkFormatError: a mismatch (a damaged attribute, or a recipe group gone or added).
    """
    if not is_sealed(file):
        return
    verify_attrs(file, path, required=True)
    try:
        sealed = json.loads(str(_plain(file.attrs[CONTENTS_ATTR])))
    except (KeyError, ValueError):
        raise BenchmarkFormatError(f"{path}: the root's list of recipes is unreadable; {_DAMAGED}") from None
    if sorted(paths) != sorted(sealed):
        lost = sorted(set(sealed) - set(paths)) or sorted(set(paths) - set(sealed))
        raise BenchmarkFormatError(
            f"{path}: its recipes ({', '.join(paths) or 'none'}) differ from those it was written with "
            f"({', '.join(sealed) or 'none'}; differing: {', '.join(lost)}); {_DAMAGED}"
        )


def _open_group(parent: h5py.Group, name: str, path: str | os.PathLike[str]) -> h5py.Group:
    """``parent[name]`` as a group, or :class:`BenchmarkFormatError` if it cannot be opened or is not one."""
    try:
        obj = parent[name]
    except (KeyError, OSError, RuntimeError) as exc:
        raise BenchmarkFormatError(f"{path}: cannot open {parent.name.rstrip('/')}/{name} ({exc}); {_DAMAGED}") from None
    if not isinstance(obj, h5py.Group):
        raise BenchmarkFormatError(f"{path}: {obj.name} is not a group, as a dataset or recipe must be; {_DAMAGED}")
    return obj


def read_structure(file: h5py.File, path: str | os.PathLike[str], skip: Iterable[str] = ()) -> dict[str, list[str]]:
    """Dataset -> sorted recipe names, opening every group (none is silently left out) and checking contents.

    Args:
        file: the open benchmark file.
        path: the file, for messages.
        skip: root-level names that are not datasets.

    Raises:
        BenchmarkFormatError: a group that cannot be opened, an object that is not a group, or recipes
            that differ from the sealed ``contents``.
    """
    skipped = set(skip)
    structure: dict[str, list[str]] = {}
    for dataset in file:
        if dataset in skipped:
            continue
        group = _open_group(file, dataset, path)
        structure[dataset] = sorted(group.keys())
        for recipe in structure[dataset]:
            _open_group(group, recipe, path)
    verify_root(file, path, [f"{d}/{r}" for d, names in structure.items() for r in names])
    return structure


def checked_objects(file: h5py.File, structure: dict[str, list[str]], extra_group: str) -> list[h5py.HLObject]:
    """Every object that carries a checksum besides the root: recipe groups, their proxies, extra metrics."""
    objects: list[h5py.HLObject] = []
    for dataset, recipes in structure.items():
        for recipe in recipes:
            group = file[dataset][recipe]
            objects.append(group)
            proxies = group.get("proxies")
            if isinstance(proxies, h5py.Group):
                objects.extend(proxies[name] for name in proxies)
    extras = file.get(extra_group)
    if isinstance(extras, h5py.Group):
        objects.extend(extras[d][name] for d in extras for name in extras[d])
    return objects


def verify_file(file: h5py.File, path: str | os.PathLike[str], extra_group: str) -> None:
    """Check the whole file's metadata before a writer changes it (so that a seal never covers damage).

    Raises:
        BenchmarkFormatError: anything :func:`read_structure` or :func:`verify_attrs` refuses.
    """
    structure = read_structure(file, path, skip=(extra_group,))
    sealed = is_sealed(file)
    for obj in checked_objects(file, structure, extra_group):
        verify_attrs(obj, path, required=sealed)


def seal_file(file: h5py.File, extra_group: str) -> None:
    """:func:`seal` with every checksummed object of the file (what a writer calls before it commits)."""
    structure = {d: sorted(file[d].keys()) for d in file if d != extra_group}
    seal(file, checked_objects(file, structure, extra_group), skip=(extra_group,))


def check_root(file: h5py.File, path: str | os.PathLike[str]) -> None:
    """Check the root attributes of an open benchmark file.

    Raises:
        BenchmarkFormatError: not a nasbench-lab file, another format version, or another arch count.
    """
    attrs = file.attrs
    if attrs.get("format") != FORMAT_NAME:
        raise BenchmarkFormatError(
            f"{path} is not a nasbench-lab benchmark (root attribute format={attrs.get('format')!r}); "
            "import foreign data with `nasbench-lab import`"
        )
    version = attrs.get("format_version")
    if _as_int(version) != FORMAT_VERSION:
        raise BenchmarkFormatError(
            f"{path} has format version {version}, this nasbench-lab reads version {FORMAT_VERSION}: "
            "use the nasbench-lab release that wrote it, or re-create the file"
        )
    if _as_int(attrs.get("n_archs")) != N_ARCHS:
        raise BenchmarkFormatError(f"{path} holds {attrs.get('n_archs')} archs, expected {N_ARCHS}")


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class Reading:
    """Context manager: HDF5 read errors (also an object it cannot open) become :class:`BenchmarkFormatError`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        # h5py reports an object it cannot open (a damaged header) as KeyError; ours derive from
        # NasbenchLabError (MissingEntryError is a KeyError too) and pass through.
        damaged = exc_type is not None and issubclass(exc_type, (OSError, KeyError, RuntimeError))
        if damaged and not isinstance(exc, NasbenchLabError):
            raise BenchmarkFormatError(
                f"cannot read {self.path} ({exc}); the file is truncated or corrupt: re-create or re-copy it"
            ) from None
