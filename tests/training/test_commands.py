"""Tests of nasbench_lab/training/commands.py: ``nasbench-lab fill`` and ``train`` end to end.

Includes the crash test: a fill is killed with SIGKILL mid-run, run again, and must lose and duplicate
nothing; and the lock test: a second fill of the same file, from another process, is refused.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nasbench_lab.benchmark.errors import MissingEntryError
from nasbench_lab.benchmark.store import Benchmark
from nasbench_lab.cli import main
from nasbench_lab.training.journal import BenchmarkTarget, Journal, journal_path
from training.fill_fakes import fake_curves

HERE = Path(__file__).resolve().parent
N_ARCHS = 40
ARCHS = ",".join(str(a) for a in range(N_ARCHS))
SUMMARY = re.compile(r"(\d+) of (\d+) planned entries trained, (\d+) mapped copies, (\d+) recovered")


def _fill_command(bench: Path, trainer: str = "sleepy_train", *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "nasbench_lab.cli", "fill", str(bench), "--dataset", "digits", "--recipe", "digits",
        "--archs", ARCHS, "--seeds", "0", "--workers", "1", "--fold-every", "3", "--no-progress",
        "--trainer", f"training.fill_fakes:{trainer}", *extra,
    ]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])}


def _wait_for(condition, timeout: float, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"fill exited early: {proc.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the fill")
        time.sleep(0.05)


def _journalled(bench: Path) -> int:
    return len(Journal(journal_path(bench)).read())


def _filled(bench: Path) -> np.ndarray:
    if not bench.exists():
        return np.zeros(0, dtype=int)
    with Benchmark.open(bench) as b:
        return np.flatnonzero(b.filled("digits", "digits")[:, 0])


def test_sigkill_mid_fill_then_resume_loses_and_duplicates_nothing(tmp_path) -> None:
    bench = tmp_path / "b.h5"
    proc = subprocess.Popen(
        _fill_command(bench), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    try:
        _wait_for(lambda: len(_filled(bench)) >= 3 and _journalled(bench) >= 1, 120, proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the fill and its workers, mid-run
        proc.wait()
    before = set(_filled(bench).tolist())
    journalled = _journalled(bench)
    assert 0 < len(before) < N_ARCHS

    again = subprocess.run(_fill_command(bench), env=_env(), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    trained, planned, _, recovered = map(int, SUMMARY.search(again.stdout).groups())
    assert recovered == journalled  # every acknowledged entry survived the kill ...
    assert planned == trained == N_ARCHS - len(before) - recovered  # ... and none is trained twice
    with Benchmark.open(bench) as b:  # the file opens cleanly and holds every entry, unmixed
        assert b.filled("digits", "digits")[:N_ARCHS, 0].all()
        assert b.filled("digits", "digits").sum() == N_ARCHS
        valid = b.curves_many(np.arange(N_ARCHS), "digits", "valid_acc", seed=0, recipe="digits")
    expected = np.array([fake_curves(a, 0, valid.shape[1])["valid_acc"] for a in range(N_ARCHS)])
    np.testing.assert_allclose(valid, expected.astype(np.float32), rtol=0)
    assert not journal_path(bench).exists()
    assert not list(tmp_path.glob("*.tmp.h5"))


def test_a_second_fill_of_the_same_file_is_refused(tmp_path, capsys) -> None:
    bench = tmp_path / "b.h5"
    holder = subprocess.Popen(  # another process holding the file's fill lock
        [sys.executable, "-c", "import sys, time; from nasbench_lab.benchmark.lock import FileLock; "
         f"lock = FileLock({str(bench) + '.lock'!r}); lock.acquire(); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        argv = ["fill", str(bench), "--dataset", "digits", "--recipe", "digits", "--archs", "1,",
                "--trainer", "training.fill_fakes:fake_train"]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert f"is being written by another process (a fill, import or proxy computation: pid {holder.pid} holds" in err
    finally:
        holder.kill()
        holder.wait()
    assert main([*argv, "--no-progress", "--workers", "1"]) == 0  # the lock dies with its holder
    assert "2 of 2 planned entries trained" in capsys.readouterr().out  # the recipe's seeds 0, 1


def test_fill_reports_and_stores_failures(tmp_path, capsys) -> None:
    bench = tmp_path / "b.h5"
    argv = ["fill", str(bench), "--dataset", "digits", "--recipe", "digits", "--archs", "2,3", "--seeds", "1",
            "--workers", "1", "--retries", "1", "--no-progress", "--trainer", "training.fill_fakes:arch3_fails_train"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "1 of 2 planned entries trained" in out and "1 failed" in out
    assert "failed: arch 3 seed 1: FloatingPointError: loss is NaN for arch 3" in out
    with Benchmark.open(bench) as b:
        assert list(np.flatnonzero(b.filled("digits", "digits")[:, 0])) == [2]
    failures = BenchmarkTarget(bench, {}).failures("digits", "digits")
    assert failures == [{"arch_index": 3, "seed": 1, "attempts": 2,
                         "error": failures[0]["error"]}] and "loss is NaN" in failures[0]["error"]


def test_bad_arguments_give_one_line_errors(tmp_path, capsys) -> None:
    bench = str(tmp_path / "b.h5")
    assert main(["fill", bench, "--dataset", "digits", "--recipe", "nope"]) == 2
    assert "unknown recipe 'nope'" in capsys.readouterr().err
    assert main(["fill", bench, "--dataset", "digits", "--recipe", "digits", "--archs", "x"]) == 2
    assert "--archs 'x'" in capsys.readouterr().err
    assert main(["fill", bench, "--dataset", "digits", "--recipe", "digits", "--trainer", "nomodule:f"]) == 2
    assert "--trainer" in capsys.readouterr().err


def test_train_prints_one_run(capsys) -> None:
    assert main(["train", "7", "--dataset", "digits", "--recipe", "digits", "--seed", "3",
                 "--trainer", "training.fill_fakes:fake_train", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert (record["arch_index"], record["seed"]) == (7, 3)
    assert record["curves"]["valid_acc"] == pytest.approx(list(fake_curves(7, 3, 12)["valid_acc"]))


def test_fill_status_counts_trained_mapped_and_failed(tmp_path, capsys) -> None:
    bench = tmp_path / "b.h5"
    main(["fill", str(bench), "--dataset", "digits", "--recipe", "digits", "--archs", "2,3", "--seeds", "1",
          "--workers", "1", "--retries", "0", "--no-progress", "--trainer", "training.fill_fakes:arch3_fails_train"])
    capsys.readouterr()
    assert main(["fill-status", str(bench)]) == 0
    out = capsys.readouterr().out
    assert "digits/digits seed 1: 1 of 15625 filled (1 trained, 0 mapped)" in out
    assert "unresolved failure: arch 3 seed 1 (1 attempts)" in out
    assert "journal: 0 entries not yet folded" in out


def test_train_downloads_a_missing_dataset_first(tmp_path, capsys) -> None:
    import tarfile

    from training.cifar_fakes import make_cifar10

    make_cifar10(tmp_path / "src")
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    root = tmp_path / "data"
    base = ["train", "9", "--dataset", "cifar10-valid", "--recipe", "nb201-12", "--data-root", str(root)]
    assert main(base) == 2  # the real trainer finds no files: one clear error, nothing fetched
    err = capsys.readouterr().err
    assert "missing data_batch_1" in err and "--download" in err and not (root / "cifar-10-batches-py").exists()
    fake = ["--trainer", "training.fill_fakes:fake_train"]  # the download is what is tested, not training
    assert main([*base, *fake, "--download", "--download-url", archive.as_uri()]) == 0
    assert (root / "cifar-10-batches-py" / "data_batch_5").is_file()


@pytest.mark.parametrize("argv", [
    ["--seeds=-1"], ["--seeds", "\u00b2"], ["--seeds", "\u0663"], ["--seeds", "0,0"], ["--archs", "\u0663"],
    ["--archs", "\u00b2"], ["--archs", "-5"], ["--archs", "15625"], ["--sample-seed=-3", "--archs", "random:5"],
    ["--archs", "random:\u0665"],
])
def test_numbers_that_are_not_plainly_indices_or_seeds_are_refused(argv, tmp_path, capsys) -> None:
    bench = tmp_path / "b.h5"
    code = main(["fill", str(bench), "--dataset", "digits", "--recipe", "digits", *argv,
                 "--trainer", "training.fill_fakes:fake_train", "--no-progress", "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "0-9" in err or "repeated" in err or "outside 0.." in err, err
    assert not bench.exists()  # nothing was trained


@pytest.mark.parametrize("arch", ["\u00b2", "\u0663", "-1", "15625"])
def test_train_refuses_arch_numbers_that_are_not_indices(arch, capsys) -> None:
    code = main(["train", arch, "--dataset", "digits", "--recipe", "digits",
                 "--trainer", "training.fill_fakes:fake_train"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and ("0-9" in err or "outside 0.." in err), err


def test_the_missing_entry_hint_trains_exactly_that_arch(tmp_path, capsys) -> None:
    bench = tmp_path / "b.h5"
    assert main(["fill", str(bench), "--dataset", "digits", "--recipe", "digits", "--archs", "3", "--seeds", "0",
                 "--trainer", "training.fill_fakes:fake_train", "--no-progress", "--workers", "1"]) == 0
    capsys.readouterr()
    with Benchmark.open(bench) as b, pytest.raises(MissingEntryError) as caught:
        b.query(6111, "digits", "valid_acc", seed=0)
    hint = re.search(r"`nasbench-lab (fill [^`]+)`", str(caught.value))
    assert hint is not None, str(caught.value)
    argv = hint.group(1).split() + ["--trainer", "training.fill_fakes:fake_train", "--no-progress", "--workers", "1"]
    assert main(argv) == 0
    assert "1 of 1 planned entries trained" in capsys.readouterr().out
    with Benchmark.open(bench) as b:
        assert np.flatnonzero(b.filled("digits", "digits")[:, 0]).tolist() == [3, 6111]
