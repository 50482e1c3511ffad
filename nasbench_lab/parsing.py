"""Strict parsing of whole numbers written as text (command-line arguments): seeds, counts, columns.

Only ASCII digits are accepted: ``int()`` also reads "٣" (Arabic-Indic three), " 1_0", "+5" and "-1",
none of which is plainly an index or a seed on a command line. Arch indices and index lists, which
need the size of the space, are parsed by :func:`nasbench_lab.space.parse_index` and
:func:`nasbench_lab.space.parse_index_list` with :func:`parse_uint`.
"""

from __future__ import annotations

import re

from nasbench_lab.errors import ArchError

_ASCII_UINT = re.compile(r"[0-9]+", flags=re.ASCII)
MAX_SEED = 2**32 - 1  # numpy's and torch's seeding both take 0..2**32-1


def parse_uint(text: str, what: str, maximum: int) -> int:
    """A non-negative integer written in ASCII digits only, at most ``maximum``.

    Args:
        text: the text as given (surrounding spaces are ignored).
        what: what the number is, for the error message (e.g. ``"--seeds"``).
        maximum: the largest value accepted.

    Raises:
        ArchError: anything else: signs, other scripts' digits, superscripts, ``_``, decimals, or too large.
    """
    body = str(text).strip()
    if not _ASCII_UINT.fullmatch(body):
        raise ArchError(f"{what} {text!r}: write a whole number with the digits 0-9 only (0..{maximum})")
    value = int(body)
    if value > maximum:
        raise ArchError(f"{what} {value} is outside 0..{maximum}")
    return value


def parse_seed(text: str, what: str = "seed") -> int:
    """A seed value (0..2**32-1) written in ASCII digits; see :func:`parse_uint`.

    Raises:
        ArchError: not plainly a non-negative seed.
    """
    return parse_uint(text, what, MAX_SEED)


def parse_seed_list(text: str, what: str = "--seeds") -> list[int]:
    """Comma-separated seeds (``"0,1"``), each as :func:`parse_seed`, distinct, at least one.

    Raises:
        ArchError: an unreadable or repeated seed, or an empty list.
    """
    seeds = [parse_seed(part, what) for part in str(text).split(",") if part.strip()]
    if not seeds:
        raise ArchError(f"{what} {text!r}: give at least one seed, e.g. 0 or 0,1")
    if len(set(seeds)) != len(seeds):
        raise ArchError(f"{what} {text!r}: a seed is repeated")
    return seeds
