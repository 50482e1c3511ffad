"""Exceptions of nasbench-lab.

Every error the library raises on bad input derives from :class:`NasbenchLabError`; the CLI turns
those into one line and a non-zero exit.
"""

from __future__ import annotations


class NasbenchLabError(Exception):
    """Base class of all errors whose message is meant for the user."""


class ArchError(NasbenchLabError, ValueError):
    """A malformed arch string, op id or index."""


class ConfigError(NasbenchLabError, ValueError):
    """An invalid specification (TOML key, argument value)."""
