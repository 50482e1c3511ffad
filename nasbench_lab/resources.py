"""Files shipped with nasbench-lab: the embedded benchmark and the study and predictor specs.

In a source checkout (or an editable install) they are the top-level ``data/``, ``studies/`` and
``predictors/`` folders that users copy and edit. A wheel or a ``pip install .`` carries the same files
as package data under ``nasbench_lab/_shipped/<folder>/`` (``pyproject.toml`` maps the folders there).
This module finds them in either layout, so library code never builds paths from ``__file__`` itself.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from nasbench_lab.benchmark.errors import BenchmarkNotFoundError
from nasbench_lab.errors import ConfigError

DEFAULT_BENCHMARK_NAME = "nb201-digits.h5"
SPEC_KINDS = ("studies", "predictors", "oneshot")
_FOLDERS = ("data", *SPEC_KINDS)
# Where each shipped folder lies in a source checkout (installed: nasbench_lab/_shipped/<folder>/).
_CHECKOUT_PATHS = {"data": "data", "studies": "studies", "predictors": "predictors", "oneshot": "specs/oneshot"}


def shipped_dir(folder: str) -> Path | None:
    """The folder ``data``, ``studies``, ``predictors`` or ``oneshot`` (``specs/oneshot`` in a checkout) as
    shipped, or ``None`` when it is absent.

    Raises:
        ConfigError: another folder name.
    """
    if folder not in _FOLDERS:
        raise ConfigError(f"no shipped folder {folder!r}; shipped folders: {', '.join(_FOLDERS)}")
    root = Path(__file__).resolve().parents[1]
    checkout = root / _CHECKOUT_PATHS[folder]
    if (root / "pyproject.toml").is_file() and checkout.is_dir():  # a source checkout
        return checkout
    installed = Path(str(resources.files("nasbench_lab").joinpath("_shipped", folder)))
    return installed if installed.is_dir() else None


def default_benchmark_path() -> Path:
    """The embedded benchmark ``nb201-digits.h5`` (``data/`` of a checkout, or the installed package's copy).

    Raises:
        BenchmarkNotFoundError: the file is absent (e.g. removed, or a build without package data).
    """
    folder = shipped_dir("data")
    path = folder / DEFAULT_BENCHMARK_NAME if folder is not None else None
    if path is None or not path.is_file():
        raise BenchmarkNotFoundError(
            f"the embedded benchmark {DEFAULT_BENCHMARK_NAME} is not installed with nasbench_lab "
            f"(looked in {path or 'data/ and nasbench_lab/_shipped/data/'}); pass a benchmark file "
            "explicitly, or generate one with `nasbench-lab fill` (see README)"
        )
    return path


def shipped_specs(kind: str = "studies") -> list[str]:
    """Names (without ``.toml``) of the shipped specs of ``kind`` (``studies``, ``predictors``, ``oneshot``), sorted.

    Raises:
        ConfigError: an unknown kind.
    """
    if kind not in SPEC_KINDS:
        raise ConfigError(f"unknown spec kind {kind!r}; kinds: {', '.join(SPEC_KINDS)}")
    folder = shipped_dir(kind)
    return sorted(p.stem for p in folder.glob("*.toml")) if folder is not None else []


def shipped_spec(name: str, kind: str = "studies") -> Path:
    """The shipped spec file ``name`` (``"quickstart"`` or ``"quickstart.toml"``) of ``kind``.

    For a command such as ``nasbench-lab study run quickstart`` when no file of that name exists.

    Raises:
        ConfigError: no such shipped spec (the message lists the shipped ones), or an unknown kind.
    """
    stem = name[:-5] if name.endswith(".toml") else name
    names = shipped_specs(kind)
    if stem not in names:
        raise ConfigError(
            f"no file {name!r} and no shipped {kind} spec of that name; shipped: {', '.join(names) or 'none'}"
        )
    folder = shipped_dir(kind)
    assert folder is not None  # names is not empty
    return folder / f"{stem}.toml"


def spec_argument(path: Path, kind: str = "studies") -> Path:
    """A command's SPEC argument: the file ``path`` if it exists or names a folder, else the shipped spec
    of that bare name (``nasbench-lab study run quickstart``).

    Raises:
        ConfigError: a bare name that is neither a file nor a shipped spec of ``kind``.
    """
    if path.exists() or path.parent != Path("."):
        return path
    return shipped_spec(path.name, kind)
