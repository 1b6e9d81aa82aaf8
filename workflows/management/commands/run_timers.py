"""Fire due workflow timers (consultation deadlines) in a loop; `--once` for a single sweep.

Each sweep also forgets the kept answers of idempotent API requests older than a day, and sends
the document exchange's packages that are due (exchange.services.outbox_send_due)."""

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from exchange.services import outbox_send_due
from workflows.services import idempotent_request_purge, timers_fire_due

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Fire due workflow timers (deadlines of consultations) every --interval seconds."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=None)
        parser.add_argument("--once", action="store_true")

    def handle(self, *args: Any, interval: float | None, once: bool, **options: Any) -> None:
        from django.conf import settings

        interval = interval or settings.TIMER_INTERVAL_SECONDS
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *a: stop.set())
        signal.signal(signal.SIGINT, lambda *a: stop.set())
        while not stop.is_set():
            close_old_connections()
            try:
                fired = timers_fire_due()
                if fired:
                    self.stdout.write(f"{fired} timer(s) fired")
                idempotent_request_purge()
            except Exception:
                logger.exception("timer sweep failed")
            try:
                sent = outbox_send_due()  # edXML packages due (first tries and retries)
                if sent:
                    self.stdout.write(f"{sent} exchange package(s) delivered")
            except Exception:
                logger.exception("exchange outbox sweep failed")
            if once:
                break
            stop.wait(interval)
