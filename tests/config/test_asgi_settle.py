"""A served process loads every view at start and keeps its start-up objects out of the garbage
collector's full collections (a full collection of ~150,000 objects paused it ~75 ms)."""

from __future__ import annotations

import gc
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
