"""Provenance facts recorded beside results: a file's SHA-256 and the current UTC time.

Low in the house on purpose: benchmark files (import provenance, ``created`` attributes) and study
manifests record the same facts the same way.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path


def utc_now() -> str:
    """The current time in UTC, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
