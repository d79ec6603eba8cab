"""A local outreach provider: a real HTTP server that speaks the protocol of
docs/outreach-gateways.md, for development (`gongzhi outreach_provider`), the gateway's
tests and the dispatch benchmark.

It behaves like a provider on a bad day, as configured per instance (`ProviderConfig`):
latency on every request; a share of 500s, of 429s with Retry-After, of requests that
hang past the client's timeout; numbers it refuses item by item; and callbacks to the
platform, signed with the shared secret: deliveries after a delay, keypad answers chosen
by a rule (scripted per number, or a digit chosen by the reference's hash), SMS replies
scripted per number ("TD" opts out), duplicates, and answers that arrive before their
delivery. `script(...)` forces the outcome of the next requests, in order, for tests
that need one exact sequence.

It counts what it received (`counts()`), keeps the items only in memory (and only with
`keep_items`), and logs nothing: numbers and texts never reach a log line or a file.
Django is not needed: it imports nothing of the platform but the callback signature.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import hashlib
import heapq
import http.client
import itertools
import json
import random
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from gongzhi.outreach.callback_protocol import sign

MOBILE = re.compile(r"^1[3-9]\d{9}$")
OUTCOMES = ("ok", "500", "429", "hang", "400", "401")

AnswerRule = Callable[[str, str, dict], "str | None"]  # (reference, to, choices) -> digit


def digit_by_hash(reference: str, to: str, choices: dict) -> str | None:
    """The default answer: one of the call's keypad choices, chosen by the reference's hash
    (the same reference always answers the same); no choices, no answer."""
    keys = sorted(choices)
    if not keys:
        return None
    return keys[int(hashlib.sha256(reference.encode()).hexdigest(), 16) % len(keys)]


@dataclass
class ProviderConfig:
    key: str | None = None  # the Bearer key it expects; None takes any
    latency: float = 0.0  # seconds before answering every request
    error_rate: float = 0.0  # share of requests answered 500
    throttle_rate: float = 0.0  # share answered 429 with Retry-After
    retry_after: float = 1.0
    hang_rate: float = 0.0  # share that hang for hang_seconds, then answer (too late)
    hang_seconds: float = 30.0
    max_batch: int = 1000  # a larger batch is refused (400 batch_too_large)
    refuse: set[str] = field(default_factory=set)  # numbers refused item by item
    seed: int = 0  # for the shares above
    keep_items: bool = False  # keep what arrived (in memory, for tests)
    # Callbacks to the platform (none without a URL).
    callback_url: str = ""
    callback_secret: str = ""
    delivery_delay: float = 0.0  # seconds from acceptance to the delivered event
    answer_delay: float = 0.0  # seconds from delivery to a call's answer
    answer: AnswerRule | None = digit_by_hash
    answers: dict[str, str] = field(default_factory=dict)  # per number: digit ("": none)
    replies: dict[str, str] = field(default_factory=dict)  # per number: an SMS reply ("TD")
    undeliverable: set[str] = field(default_factory=set)  # numbers that get "failed"
    duplicate_rate: float = 0.0  # share of events sent twice (same id, separate requests)
    out_of_order: bool = False  # a call's answer is sent before its delivery
    callback_batch: int = 200  # events per callback request
    callback_tries: int = 5


class ProviderServer:
    """Start with `start()` (or `with ProviderServer(...) as provider:`); `url` is its base."""

    def __init__(self, config: ProviderConfig | None = None, host: str = "127.0.0.1", port=0):
        self.config = config or ProviderConfig()
        self._lock = threading.Lock()
        self._random = random.Random(self.config.seed)
        self._scripted: collections.deque[str] = collections.deque()
        self._counts: collections.Counter[str] = collections.Counter()
        self._replies: dict[str, tuple[int, bytes]] = {}  # by Idempotency-Key
        self.received: list[dict] = []
        self._stopping = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._httpd = _Server((host, port), _handler_for(self))
        self._serve = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._callbacks = _CallbackSender(self) if self.config.callback_url else None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"

    def start(self) -> ProviderServer:
        self._serve.start()
        if self._callbacks:
            self._callbacks.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self.drop_connections()
        if self._callbacks:
            self._callbacks.stop()

    def __enter__(self) -> ProviderServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- for tests and the benchmark -----------------------------------------------------

    def script(self, *outcomes: str) -> None:
        """Force the outcome of the next requests, one each: ok, 500, 429, hang, 400, 401."""
        unknown = set(outcomes) - set(OUTCOMES)
        if unknown:
            raise ValueError(f"unknown outcomes {sorted(unknown)}; use {OUTCOMES}")
        with self._lock:
            self._scripted.extend(outcomes)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def wait_for(self, name: str, at_least: int, timeout: float = 10.0) -> bool:
        """Wait until counts()[name] reaches at_least (e.g. "callback_events")."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.counts().get(name, 0) >= at_least:
                return True
            time.sleep(0.01)
        return False

    def drop_connections(self) -> None:
        """Close every kept connection from the server's side, as providers do when idle."""
        with self._lock:
            for sock in list(self._sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def wait_callbacks_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every callback due so far has been sent (or given up)."""
        return self._callbacks.wait_idle(timeout) if self._callbacks else True

    # --- inside -------------------------------------------------------------------------

    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n

    def _outcome(self) -> str:
        config = self.config
        with self._lock:
            if self._scripted:
                return self._scripted.popleft()
            roll = self._random.random()
        for outcome, share in (
            ("500", config.error_rate),
            ("429", config.throttle_rate),
            ("hang", config.hang_rate),
        ):
            if roll < share:
                return outcome
            roll -= share
        return "ok"

    def handle(self, path: str, headers: Any, body: bytes) -> tuple[int, dict, dict]:
        """One request: (status, JSON body, extra headers)."""
        config = self.config
        self._count("requests")
        if config.latency:
            self._stopping.wait(config.latency)
        kind = "sms" if path.endswith("/sms/batch") else "call" if path.endswith("/calls") else ""
        if not kind:
            return 404, _error("not_found", "POST /sms/batch or /calls"), {}
        if config.key is not None and headers.get("Authorization") != f"Bearer {config.key}":
            self._count("status_401")
            return 401, _error("unauthorized", "wrong or missing key"), {}
        outcome = self._outcome()
        if outcome == "hang":
            self._count("hung")
            self._stopping.wait(config.hang_seconds)
            return 503, _error("hung", "answered too late"), {}
        if outcome in ("500", "429", "400", "401"):
            self._count(f"status_{outcome}")
            headers_out = {"Retry-After": f"{config.retry_after:g}"} if outcome == "429" else {}
            return int(outcome), _error(f"forced_{outcome}", "as configured"), headers_out
        key = headers.get("Idempotency-Key", "")
        if key:
            with self._lock:
                replay = self._replies.get(key)
            if replay is not None:
                self._count("replays")
                return replay[0], json.loads(replay[1]), {}
        status, reply = self._accept(kind, body)
        self._count(f"status_{status}")
        if key and status == 200:
            with self._lock:
                self._replies[key] = (status, json.dumps(reply).encode())
        return status, reply, {}

    def _accept(self, kind: str, body: bytes) -> tuple[int, dict]:
        config = self.config
        field_name = "messages" if kind == "sms" else "calls"
        try:
            items = json.loads(body.decode("utf-8")).get(field_name)
        except (UnicodeDecodeError, ValueError, AttributeError):
            return 400, _error("invalid_json", "the body must be a JSON object")
        if not isinstance(items, list) or not items:
            return 400, _error("invalid", f"{field_name} must be a non-empty list")
        if len(items) > config.max_batch:
            return 400, _error("batch_too_large", f"at most {config.max_batch} a batch")
        results = []
        accepted = []
        for item in items:
            reference = item.get("reference") if isinstance(item, dict) else None
            to = item.get("to") if isinstance(item, dict) else None
            if not isinstance(reference, str) or not reference:
                results.append({"reference": reference, "error": _error("invalid", "reference")})
            elif not isinstance(to, str) or not MOBILE.match(to) or to in config.refuse:
                results.append(
                    {"reference": reference, **_error("invalid_number", "not a mobile number")}
                )
            else:
                provider_id = f"{kind}-{uuid.uuid4().hex[:16]}"
                results.append({"reference": reference, "id": provider_id, "status": "accepted"})
                accepted.append((reference, to, item))
        self._count(f"{kind}_items", len(items))
        self._count(f"{kind}_accepted", len(accepted))
        if config.keep_items:
            with self._lock:
                self.received.extend(
                    {"kind": kind, "reference": ref, "to": to, **item} for ref, to, item in accepted
                )
        if self._callbacks:
            for reference, to, item in accepted:
                self._callbacks.plan(kind, reference, to, item.get("choices") or {})
        return 200, {"results": results}


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


def _handler_for(provider: ProviderServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: one connection for many batches
        timeout = 120  # an idle kept connection is closed after this

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes: without this, the client's delayed ACK
            # holds every answer ~40 ms (Nagle's algorithm).
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with provider._lock:
                provider._sockets.add(self.connection)
                provider._counts["connections"] += 1

        def finish(self) -> None:
            with provider._lock:
                provider._sockets.discard(self.connection)
            super().finish()

        def do_POST(self) -> None:  # the http.server API's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status, reply, extra = provider.handle(self.path, self.headers, body)
            payload = json.dumps(reply).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                self.close_connection = True  # the client gave up (a hang, a timeout)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # nothing logged: no line can carry a number

    return Handler


class _CallbackSender:
    """Sends planned events to the platform when due, in batches, signed; retries a
    refused or failed request a few times, as providers do."""

    def __init__(self, provider: ProviderServer):
        self.provider = provider
        self.config = provider.config
        parts = urlsplit(self.config.callback_url)
        self._host, self._port, self._path = parts.hostname, parts.port, parts.path or "/"
        self._https = parts.scheme == "https"
        self._queue: list[tuple[float, int, dict, int]] = []  # (due, seq, event, tries)
        self._seq = itertools.count()
        self._ready = threading.Condition()
        self._busy = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._stopping = False
        self._random = random.Random(self.config.seed + 1)
        self._connection: http.client.HTTPConnection | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._ready:
            self._stopping = True
            self._ready.notify_all()
        self._thread.join(timeout=5)

    def plan(self, kind: str, reference: str, to: str, choices: dict) -> None:
        config = self.config
        now = time.monotonic()
        delivered_at = now + config.delivery_delay
        if to in config.undeliverable:
            self._put(delivered_at, _event(reference, "failed"))
            return
        events = [(delivered_at, _event(reference, "delivered"))]
        if kind == "call":
            digit = config.answers.get(to) if to in config.answers else None
            if to not in config.answers and config.answer is not None:
                digit = config.answer(reference, to, choices)
            if digit:
                answered_at = delivered_at + config.answer_delay
                if config.out_of_order:  # the answer overtakes its delivery
                    answered_at, events[0] = delivered_at, (answered_at + 0.05, events[0][1])
                events.append((answered_at, _event(reference, "answered", digit)))
        if kind == "sms" and config.replies.get(to):
            reply = _event(reference, "reply")
            reply["text"] = config.replies[to]
            events.append((delivered_at + config.answer_delay, reply))
        for due, event in events:
            self._put(due, event)
            if config.duplicate_rate and self._random.random() < config.duplicate_rate:
                self._put(due + 0.02, dict(event))  # the same id, in a later request

    def _put(self, due: float, event: dict, tries: int = 0) -> None:
        with self._ready:
            heapq.heappush(self._queue, (due, next(self._seq), event, tries))
            self._ready.notify()

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._ready:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._ready.wait(min(left, 0.05))
        return True

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._stopping and (
                    not self._queue or self._queue[0][0] > time.monotonic()
                ):
                    wait = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._ready.wait(wait)
                if self._stopping:
                    return
                batch: list[tuple[float, int, dict, int]] = []
                while (
                    self._queue
                    and self._queue[0][0] <= time.monotonic()
                    and len(batch) < self.config.callback_batch
                ):
                    batch.append(heapq.heappop(self._queue))
                self._busy += 1
            try:
                self._send(batch)
            finally:
                with self._ready:
                    self._busy -= 1
                    self._ready.notify_all()

    def _send(self, batch: list[tuple[float, int, dict, int]]) -> None:
        provider = self.provider
        body = json.dumps({"events": [event for _due, _seq, event, _tries in batch]}).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Gongzhi-Timestamp": timestamp,
            "X-Gongzhi-Signature": sign(self.config.callback_secret, timestamp, body),
        }
        try:
            status = self._post(body, headers)
        except (OSError, http.client.HTTPException):
            self._close()
            status = 0
        provider._count("callback_requests")
        if 200 <= status < 300:
            provider._count("callback_events", len(batch))
            return
        provider._count("callback_failures")
        if 400 <= status < 500 and status not in (408, 429):
            provider._count("callback_events_refused", len(batch))
            return  # the platform refused them: sending again would not help
        for _due, _seq, event, tries in batch:
            if tries + 1 < self.config.callback_tries:
                self._put(time.monotonic() + 0.2 * (tries + 1), event, tries + 1)
            else:
                provider._count("callback_events_dropped")

    def _post(self, body: bytes, headers: dict) -> int:
        for attempt in (0, 1):
            if self._connection is None:
                cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
                self._connection = cls(self._host or "127.0.0.1", self._port, timeout=30)
            try:
                self._connection.request("POST", self._path, body=body, headers=headers)
                response = self._connection.getresponse()
                response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self._close()
                if attempt:
                    raise
                continue
            if response.will_close:
                self._close()
            return response.status
        return 0  # pragma: no cover

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _event(reference: str, kind: str, digit: str = "") -> dict:
    event = {
        "id": f"evt-{uuid.uuid4().hex}",
        "reference": reference,
        "kind": kind,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if digit:
        event["digit"] = digit
    return event
