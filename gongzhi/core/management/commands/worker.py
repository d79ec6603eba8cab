"""`gongzhi worker`: runs queued background tasks and the periodic jobs.

Each round claims the periodic jobs that are due (see `core.periodic`), then runs up to
`--batch-size` queued tasks with django-tasks-db's worker, then sleeps if there was
nothing to do. Run as many workers as you like on PostgreSQL: tasks are claimed with row
locks and periodic slots with a unique constraint, so nothing runs twice.
"""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from gongzhi.core import periodic

logger = logging.getLogger("gongzhi.worker")


class Command(BaseCommand):
    help = "Run background tasks and periodic jobs until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds to sleep when idle"
        )
        parser.add_argument("--batch-size", type=int, default=20, help="tasks per round")
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--no-periodic", action="store_true", help="run queued tasks only")
        parser.add_argument("--worker-id", default=get_random_string(24))

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id: str = options["worker_id"]
        self.running = True
        self.current: Worker | None = None
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.stdout.write(f"gongzhi worker {worker_id} started")
        while self.running:
            close_old_connections()
            if not options["no_periodic"]:
                for run in periodic.tick(worker_id):
                    self.stdout.write(f"enqueued periodic job {run}")
            before = DBTaskResult.objects.ready().count()
            if before:
                self.current = Worker(
                    queue_names=["*"],
                    interval=0,
                    batch=True,
                    backend_name="default",
                    startup_delay=False,
                    max_tasks=options["batch_size"],
                    worker_id=worker_id,
                    excluded_queue_names=[],
                )
                self.current.run()
                self.current = None
            if options["once"]:
                break
            if not before and self.running:
                time.sleep(options["interval"])
        self.stdout.write(f"gongzhi worker {worker_id} stopped")

    def _stop(self, signum: int, frame: object) -> None:
        logger.info("worker stopping after the current task (signal %s)", signum)
        self.running = False
        if self.current is not None:
            self.current.running = False
