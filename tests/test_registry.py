"""Tests of nasbench_lab/registry.py."""

from __future__ import annotations

import pytest

from nasbench_lab.errors import ConfigError
from nasbench_lab.registry import Registry


def test_register_get_and_names() -> None:
    reg: Registry[type] = Registry("widget")

    @reg.register("b")
    class B:
        pass

    @reg.register("a")
    class A:
        pass

    assert reg.get("a") is A and reg.get("b") is B
    assert reg.names() == ["a", "b"] == list(reg)
    assert "a" in reg and "c" not in reg and len(reg) == 2
    assert A.registry_name == "a"  # type: ignore[attr-defined]


def test_duplicate_name_refused() -> None:
    reg: Registry[type] = Registry("widget")
    reg.register("x")(type("X", (), {}))
    with pytest.raises(ValueError, match="already registered"):
        reg.register("x")(type("Y", (), {}))


def test_unknown_name_lists_known() -> None:
    reg: Registry[type] = Registry("widget")
    reg.register("alpha")(type("A", (), {}))
    with pytest.raises(ConfigError, match="unknown widget 'beta'; known: alpha"):
        reg.get("beta")


def test_autoload_imports_modules_on_first_lookup(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sys

    (tmp_path / "autoload_widgets.py").write_text(
        "from tests_registry_target import REG\n@REG.register('w')\nclass W:\n    pass\n"
    )
    (tmp_path / "tests_registry_target.py").write_text(
        "from nasbench_lab.registry import Registry\nREG = Registry('widget', autoload=('autoload_widgets',))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import tests_registry_target as target

    assert "autoload_widgets" not in sys.modules  # making the registry imported nothing
    assert target.REG.names() == ["w"]
    assert "autoload_widgets" in sys.modules
