"""A served process loads every view at start and keeps its start-up objects out of the garbage
collector's full collections (a full collection of ~150,000 objects paused it ~75 ms)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

from config import asgi


def test_start_up_objects_are_frozen_and_views_loaded(settings):
    settings.GC_FREEZE = True
    gc.unfreeze()
    try:
        # when the served application settles
        asgi._settle()

        # then the views are imported and the start-up objects frozen
        assert "web.api_tasks" in sys.modules
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def test_nothing_is_frozen_when_turned_off(settings):
    settings.GC_FREEZE = False
    gc.unfreeze()
    asgi._settle()
    assert gc.get_freeze_count() == 0


def test_the_collector_thresholds_are_set_as_configured(settings):
    before = gc.get_threshold()
    settings.GC_FREEZE, settings.GC_THRESHOLD = False, (12_345, 11, 12)
    try:
        asgi._settle()
        assert gc.get_threshold() == (12_345, 11, 12)
    finally:
        gc.set_threshold(*before)


def test_the_collector_thresholds_stay_when_none_are_configured(settings):
    before = gc.get_threshold()
    settings.GC_FREEZE, settings.GC_THRESHOLD = False, ()
    asgi._settle()
    assert gc.get_threshold() == before


def test_a_wrong_threshold_stops_the_start_with_a_clear_message():
    # a settings module read with GC_THRESHOLD that is not three positive numbers
    for wrong in ("10000,10", "a,b,c", "0,10,10"):
        result = subprocess.run(
            [sys.executable, "-c", "import config.settings.base"],
            env={**os.environ, "GC_THRESHOLD": wrong},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0
        assert "GC_THRESHOLD must be three positive whole numbers" in result.stderr
