"""The HTTP gateway against a real HTTP server on 127.0.0.1, started by the test, that
speaks the protocol of docs/notifications.md: bearer key, JSON in and out, 429 with
Retry-After, provider errors, and a provider too slow to answer."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from gongzhi.core import clock
from gongzhi.notifications import services
from gongzhi.notifications.gateways import HttpGateway, LocalGateway, get_gateway
from gongzhi.notifications.models import SmsMessage

KEY = "test-key-123"


class Provider:
    """What the fake provider will answer, one scripted reply per request, and what it got."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, dict, dict | None, float]] = []
        self.requests: list[dict] = []

    def reply(self, status=200, body=None, headers=None, delay=0.0) -> None:
        self.replies.append((status, body or {}, headers, delay))


@pytest.fixture
def provider():
    state = Provider()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # the http.server API's name
            length = int(self.headers.get("Content-Length", 0))
            state.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "json": json.loads(self.rfile.read(length)),
                }
            )
            if self.headers.get("Authorization") != f"Bearer {KEY}":
                status, body, headers, delay = 401, {"error": {"code": "auth"}}, None, 0
            else:
                status, body, headers, delay = state.replies.pop(0)
            time.sleep(delay)
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1/sms"
    yield state
    server.shutdown()
    server.server_close()


def _gateway(provider, timeout=2.0, key=KEY) -> HttpGateway:
    return HttpGateway(url=provider.url, key=key, timeout=timeout)


def test_success_returns_the_providers_id_and_sends_the_documented_request(provider):
    provider.reply(202, {"id": "msg-42", "status": "accepted"})
    result = _gateway(provider).send(phone="13812345678", text="【共治】你好", reference="17")
    assert result.ok and result.provider_id == "msg-42" and result.status == "sent"
    [request] = provider.requests
    assert request["path"] == "/v1/sms"
    assert request["json"] == {"to": "13812345678", "text": "【共治】你好", "reference": "17"}
    assert request["headers"]["Authorization"] == f"Bearer {KEY}"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Idempotency-Key"] == "gongzhi-sms-17"


def test_a_delivered_status_is_kept(provider):
    provider.reply(200, {"id": "m1", "status": "delivered"})
    assert _gateway(provider).send(phone="13812345678", text="x").status == "delivered"


def test_a_provider_error_is_reported_and_not_retried(provider):
    provider.reply(400, {"error": {"code": "invalid_number", "message": "not a mobile"}})
    result = _gateway(provider).send(phone="13812345678", text="x")
    assert not result.ok and not result.retryable
    assert result.error == "HTTP 400 invalid_number: not a mobile"


def test_a_wrong_key_is_a_refusal(provider):
    result = _gateway(provider, key="wrong").send(phone="13812345678", text="x")
    assert not result.ok and not result.retryable and result.error.startswith("HTTP 401")


def test_a_server_error_is_worth_retrying(provider):
    provider.reply(503, {"error": {"code": "busy"}})
    result = _gateway(provider).send(phone="13812345678", text="x")
    assert not result.ok and result.retryable


def test_rate_limited_is_retried_after_the_providers_delay(provider):
    provider.reply(429, {"error": {"code": "rate_limited"}}, headers={"Retry-After": "12"})
    result = _gateway(provider).send(phone="13812345678", text="x")
    assert not result.ok and result.retryable and result.retry_after == 12


def test_a_slow_provider_times_out_and_is_retried(provider):
    provider.reply(200, {"id": "late"}, delay=1.0)
    started = time.monotonic()
    result = _gateway(provider, timeout=0.3).send(phone="13812345678", text="x")
    assert time.monotonic() - started < 0.9
    assert not result.ok and result.retryable and result.error == "timeout"


def test_nobody_listening_is_retried():
    result = HttpGateway(url="http://127.0.0.1:9/", key=KEY, timeout=1).send(
        phone="13812345678", text="x"
    )
    assert not result.ok and result.retryable and result.error.startswith("connection")


def test_the_outbox_goes_through_429_then_success_with_the_real_server(
    provider, db, django_capture_on_commit_callbacks
):
    provider.reply(429, {}, headers={"Retry-After": "3"})
    provider.reply(200, {"id": "prov-7", "status": "sent"})
    with override_settings(
        GONGZHI_SMS_GATEWAY="http", GONGZHI_SMS_HTTP_URL=provider.url, GONGZHI_SMS_HTTP_KEY=KEY
    ):
        message = services.sms_send(phone="13812345678", text="【共治】测试", kind="test")
        now = clock.now()
        with clock.freeze(now), django_capture_on_commit_callbacks(execute=True):
            services.sms_deliver(message.pk)
        message.refresh_from_db()
        assert (message.status, message.attempts, message.gateway) == ("queued", 1, "http")
        assert message.error.startswith("HTTP 429")
        assert (message.next_attempt_at - now).total_seconds() == 3
        services.sms_deliver(message.pk)
    message = SmsMessage.objects.get(pk=message.pk)
    assert (message.status, message.attempts, message.provider_id) == ("sent", 2, "prov-7")
    assert [r["json"]["reference"] for r in provider.requests] == [str(message.pk)] * 2


def test_the_gateway_is_chosen_by_setting():
    assert isinstance(get_gateway(), LocalGateway)
    custom = "gongzhi.notifications.gateways.LocalGateway"
    with override_settings(GONGZHI_SMS_GATEWAY=custom):
        assert isinstance(get_gateway(), LocalGateway)
    refused = [
        {"GONGZHI_SMS_GATEWAY": "http", "GONGZHI_SMS_HTTP_URL": ""},
        {"GONGZHI_SMS_GATEWAY": "http", "GONGZHI_SMS_HTTP_URL": "file:///etc/passwd"},
        {"GONGZHI_SMS_GATEWAY": "no.such.Gateway"},
    ]
    for values in refused:
        with override_settings(**values), pytest.raises(ImproperlyConfigured):
            get_gateway()
