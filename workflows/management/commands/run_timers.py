"""Fire due workflow timers (consultation deadlines) in a loop; `--once` for a single sweep.

Each sweep also hands the open tasks of absences that have started to their stand-ins, sends the
reminders and escalations that are due (workflows/reminders.py), the e-mails of the outbox that
are due (retries) and the daily digests, the document exchange's packages that are due
(exchange.services.outbox_send_due), and forgets the kept answers of idempotent API requests
older than a day. Several dispatchers may run: each notice goes once."""

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from exchange.services import outbox_send_due
from notifications.services import email_digest_send_due, email_outbox_send
from workflows.reminders import reminders_send_due
from workflows.services import absences_apply_due, idempotent_request_purge, timers_fire_due

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
                absences_apply_due()  # absences that started: their open tasks pass on
            except Exception:
                logger.exception("timer sweep failed")
            for name, sweep in (
                ("reminders", reminders_send_due),
                ("digests", email_digest_send_due),
                ("e-mail", email_outbox_send),
                ("exchange", outbox_send_due),  # edXML packages due (first tries and retries)
            ):
                try:
                    done = sweep()
                    if done and (not isinstance(done, dict) or any(done.values())):
                        self.stdout.write(f"{name}: {done}")
                except Exception:
                    logger.exception("%s sweep failed", name)
            if once:
                break
            stop.wait(interval)
