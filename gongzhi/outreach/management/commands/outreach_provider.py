"""`gongzhi outreach_provider`: the local outreach provider (provider_server.py) for
development: point GONGZHI_OUTREACH_HTTP_URL at it and it accepts batches of messages and
calls, then calls the platform back with deliveries and keypad answers, signed with
GONGZHI_OUTREACH_CALLBACK_SECRET. Options make it misbehave like a real provider.

    gongzhi outreach_provider --port 8099 \\
        --callback-url http://127.0.0.1:8000/outreach/callbacks/local-provider/
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gongzhi.outreach.provider_server import ProviderConfig, ProviderServer


class Command(BaseCommand):
    help = "Run the local outreach provider (batch SMS, robot calls, signed callbacks)."

    def add_arguments(self, parser: Any) -> None:
        add = parser.add_argument
        add("--host", default="127.0.0.1")
        add("--port", type=int, default=8099, help="0: any free port")
        add("--callback-url", default="", help="where deliveries and answers are sent")
        add("--secret", default=None, help="default: GONGZHI_OUTREACH_CALLBACK_SECRET")
        add("--key", default=None, help="the Bearer key required; default: any key")
        add("--latency", type=float, default=0.0, help="seconds before every answer")
        add("--error-rate", type=float, default=0.0, help="share of requests answered 500")
        add("--throttle-rate", type=float, default=0.0, help="share answered 429")
        add("--retry-after", type=float, default=1.0, help="the 429s' Retry-After (seconds)")
        add("--hang-rate", type=float, default=0.0, help="share that hang past any timeout")
        add("--hang-seconds", type=float, default=30.0)
        add("--delivery-delay", type=float, default=1.0, help="seconds to each delivery")
        add("--answer-delay", type=float, default=2.0, help="seconds from delivery to answer")
        add("--duplicate-rate", type=float, default=0.0, help="share of callbacks sent twice")
        add("--out-of-order", action="store_true", help="answers overtake their deliveries")
        add("--no-answers", action="store_true", help="calls are delivered, never answered")
        add("--seed", type=int, default=0)
        add("--run-for", type=float, default=0.0, help="stop after this many seconds")
        add("--stats-every", type=float, default=0.0, help="print the counts this often")

    def handle(self, *args: Any, **options: Any) -> None:
        secret = options["secret"]
        if secret is None:
            secret = getattr(settings, "GONGZHI_OUTREACH_CALLBACK_SECRET", "")
        if options["callback_url"] and not secret:
            raise CommandError(
                "Callbacks are signed: set GONGZHI_OUTREACH_CALLBACK_SECRET or pass --secret."
            )
        for name in ("error_rate", "throttle_rate", "hang_rate", "duplicate_rate"):
            if not 0 <= options[name] <= 1:
                raise CommandError(f"--{name.replace('_', '-')} must be between 0 and 1.")
        config = ProviderConfig(
            key=options["key"],
            latency=options["latency"],
            error_rate=options["error_rate"],
            throttle_rate=options["throttle_rate"],
            retry_after=options["retry_after"],
            hang_rate=options["hang_rate"],
            hang_seconds=options["hang_seconds"],
            seed=options["seed"],
            callback_url=options["callback_url"],
            callback_secret=secret,
            delivery_delay=options["delivery_delay"],
            answer_delay=options["answer_delay"],
            duplicate_rate=options["duplicate_rate"],
            out_of_order=options["out_of_order"],
        )
        if options["no_answers"]:
            config.answer = None
        provider = ProviderServer(config, host=options["host"], port=options["port"]).start()
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
        self.stdout.write(f"Outreach provider at {provider.url} (…/sms/batch, …/calls)")
        self.stdout.write(
            f"Callbacks to {config.callback_url}" if config.callback_url else "No callbacks."
        )
        started = time.monotonic()
        every = options["stats_every"]
        last = started
        try:
            while not stop.wait(0.1):
                now = time.monotonic()
                if options["run_for"] and now - started >= options["run_for"]:
                    break
                if every and now - last >= every:
                    last = now
                    self.stdout.write(_counts(provider))
        finally:
            provider.stop()
        self.stdout.write("Stopped. " + _counts(provider))


def _counts(provider: ProviderServer) -> str:
    counts = provider.counts()
    return ", ".join(f"{name} {value}" for name, value in sorted(counts.items())) or "nothing yet"
