"""`gongzhi serve`: the web server (gunicorn) and one background worker, together.

For the demo and small installs. Larger deployments run `gunicorn gongzhi.wsgi` and
`gongzhi worker` as separate services (docs/deployment.md).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web workbench and run a background worker until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--no-worker", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        bind = f"{options['host']}:{options['port']}"
        commands = [
            [
                sys.executable, "-m", "gunicorn", "gongzhi.wsgi:application",
                "--bind", bind, "--workers", str(options["web_workers"]), "--threads", "4",
                "--access-logfile", "-", "--graceful-timeout", "10",
                # No query strings in access logs: searches carry ID and phone numbers.
                "--access-logformat", '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
            ],
        ]  # fmt: skip
        if not options["no_worker"]:
            commands.append([sys.executable, "-m", "gongzhi", "worker"])
        # Our own interpreter and fixed arguments: nothing here comes from a user.
        children = [subprocess.Popen(command) for command in commands]  # noqa: S603
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(
            self.style.SUCCESS(f"Gongzhi is serving at http://{bind}/  (Ctrl+C stops it)")
        )
        code = 0
        while not stopping:
            for command, child in zip(commands, children, strict=True):
                if child.poll() is not None:
                    self.stderr.write(f"{command[2]} exited with {child.returncode}")
                    code = child.returncode or 1
                    stopping = True
            time.sleep(0.5)
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if code:
            sys.exit(code)
