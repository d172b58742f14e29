"""The `onewindow` command as a process: exit codes and messages, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh embedded database for the command to use, migrated once."""
    path = tmp_path_factory.mktemp("var")
    result = _run("migrate", "--noinput", var=path)
    assert result.returncode == 0, result.stderr
    return path


def _run(*args: str, var: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ONEWINDOW_TESTING": "1"}
    env.pop("DATABASE_URL", None)
    if var is not None:
        env["ONEWINDOW_VAR_DIR"] = str(var)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "onewindow.cli", *args], capture_output=True, text=True, env=env,
        timeout=120, check=False,
    )


def test_workdays_add_prints_the_date(var_dir):
    result = _run("workdays", "add", "2026-09-30", "5", var=var_dir)
    assert result.returncode == 0
    assert result.stdout.strip() == "2026-10-13"


def test_bad_argument_exits_non_zero_with_a_chinese_message_and_no_traceback(var_dir):
    result = _run("workdays", "add", "2026-02-30", "5", var=var_dir)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "日期" in result.stderr


def test_help_lists_the_subcommands():
    result = _run("--help")
    assert "onewindow workdays add DATE N" in result.stdout
