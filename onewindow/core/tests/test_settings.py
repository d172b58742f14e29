"""Production is secure by default: no secret, no start; with one, Django's deploy checks pass."""

from __future__ import annotations

import os
import subprocess
import sys


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith("ONEWINDOW_")
            and k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "onewindow.cli", *args], capture_output=True, text=True,
        env={**base, **env}, timeout=120, check=False,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _manage("check", ONEWINDOW_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "ONEWINDOW_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    result = _manage("check", ONEWINDOW_VAR_DIR=str(tmp_path), ONEWINDOW_SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "ONEWINDOW_ALLOWED_HOSTS" in result.stderr


def test_production_settings_pass_the_deploy_checks(tmp_path):
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", ONEWINDOW_VAR_DIR=str(tmp_path),
        ONEWINDOW_SECRET_KEY="k" * 20 + "Q9#fz!2Lp0$x7Vb@3mT8wRy5sNc1" + "z" * 20,
        ONEWINDOW_ALLOWED_HOSTS="zwfw.example.cn",
    )
    assert result.returncode == 0, result.stderr
