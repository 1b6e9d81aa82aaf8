"""The served default is safe: DEBUG off, a random SECRET_KEY kept under VAR_DIR, and a refusal
to start with an empty or public key (issue 7 §3)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.settings.secret import ensure_secret_key, secret_key_from_file

OLD_DEFAULT = "dev-only-insecure-key-change-me-in-production"


@pytest.mark.parametrize("key", ["", OLD_DEFAULT, "django-insecure-abc" + "x" * 40, "short"])
def test_unsafe_keys_are_refused_with_debug_off(key):
    with pytest.raises(ImproperlyConfigured):
        ensure_secret_key(key, debug=False)


def test_any_key_is_accepted_in_debug():
    assert ensure_secret_key(OLD_DEFAULT, debug=True) == OLD_DEFAULT


def test_generated_key_is_random_private_and_stable(tmp_path):
    key = secret_key_from_file(tmp_path)
    assert len(key) >= 60
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
    assert secret_key_from_file(tmp_path) == key
    assert secret_key_from_file(tmp_path / "other") != key


def test_workers_starting_at_once_share_one_key(tmp_path):
    with ProcessPoolExecutor(max_workers=4) as pool:
        keys = set(pool.map(secret_key_from_file, [tmp_path] * 16))
    assert len(keys) == 1
    assert list(tmp_path.iterdir()) == [tmp_path / "secret_key"]


def _django_setup(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_run_settings_start_with_debug_off_and_a_generated_key(tmp_path):
    env = {"VAR_DIR": str(tmp_path), "SECRET_KEY": "", "DEBUG": ""}
    result = _django_setup(env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
    assert (tmp_path / "secret_key").exists()


def test_make_run_settings_refuse_the_old_public_key(tmp_path):
    result = _django_setup({"VAR_DIR": str(tmp_path), "SECRET_KEY": OLD_DEFAULT, "DEBUG": ""})
    assert result.returncode != 0
    assert "SECRET_KEY is a public default" in result.stderr


def test_production_settings_require_their_addresses(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": "",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DATABASE_URL must be set" in result.stderr


def test_base_dir_is_the_repository():
    assert (Path(settings.BASE_DIR) / "manage.py").exists()


def test_the_public_address_follows_the_served_port(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.PUBLIC_BASE_URL, s.SIGNING_CRL_URL)"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"PUBLIC_BASE_URL", "SIGNING_CRL_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={
            **env,
            "VAR_DIR": str(tmp_path),
            "PORT": "8104",
            "HOST": "127.0.0.1",
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "http://127.0.0.1:8104",
        "http://127.0.0.1:8104/api/v1/trust/crl/",
    ]
