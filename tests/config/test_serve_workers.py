"""scripts/serve.sh refuses several workers on the embedded default: notifications and the
fair SQLite queue live in one process (README, Production)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from django.conf import settings


def test_several_workers_without_redis_and_postgresql_are_refused_before_anything_starts():
    environment = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    result = subprocess.run(
        ["bash", "scripts/serve.sh"],
        cwd=Path(settings.BASE_DIR),
        env={**environment, "WORKERS": "2", "UNOSERVER": "0"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "WORKERS=2 needs REDIS_URL" in result.stderr
    assert "Serving on" not in result.stdout
