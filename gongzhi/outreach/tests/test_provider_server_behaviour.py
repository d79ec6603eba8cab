"""The local provider server itself: its shares of failures, and the callbacks it sends —
signed, delayed, duplicated, out of order — caught by a plain HTTP receiver."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gongzhi.outreach.callback_protocol import sign
from gongzhi.outreach.gateways import Call, Message
from gongzhi.outreach.http_gateway import HttpOutreachGateway
from gongzhi.outreach.provider_server import ProviderConfig, ProviderServer, digit_by_hash

SECRET = "shared-callback-secret"
PHONE = "13812345678"
CHOICES = {"1": "已报到", "2": "需要帮助", "3": "不是本人"}


class Receiver:
    """A stand-in platform: records each callback request and whether its signature holds."""

    def __init__(self, status: int = 200):
        self.status = status
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # the http.server API's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                timestamp = self.headers.get("X-Gongzhi-Timestamp", "")
                receiver.requests.append(
                    {
                        "path": self.path,
                        "events": json.loads(body)["events"],
                        "signed": self.headers.get("X-Gongzhi-Signature")
                        == sign(SECRET, timestamp, body),
                        "timestamp": int(timestamp),
                    }
                )
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/outreach/callbacks/local/"

    @property
    def events(self) -> list[dict]:
        return [event for request in self.requests for event in request["events"]]


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def _provider(receiver, **config) -> ProviderServer:
    return ProviderServer(
        ProviderConfig(callback_url=receiver.url, callback_secret=SECRET, **config)
    ).start()


def _call(reference: str, phone: str = PHONE) -> Call:
    return Call(reference=reference, phone=phone, script="您好", choices=CHOICES)


def test_a_message_is_followed_by_a_signed_delivery(receiver):
    provider = _provider(receiver)
    try:
        gateway = HttpOutreachGateway(url=provider.url, key="any")
        gateway.send_sms_batch([Message("m-1", PHONE, "hi")])
        assert provider.wait_for("callback_events", 1)
    finally:
        provider.stop()
    [request] = receiver.requests
    assert request["path"] == "/outreach/callbacks/local/" and request["signed"]
    assert abs(request["timestamp"] - time.time()) < 10
    [event] = request["events"]
    assert event["reference"] == "m-1" and event["kind"] == "delivered"
    assert event["id"].startswith("evt-") and event["at"]


def test_a_call_is_delivered_then_answered_with_the_digit_of_its_rule(receiver):
    provider = _provider(receiver, answer_delay=0.05)
    try:
        HttpOutreachGateway(url=provider.url, key="any").place_calls([_call("c-1")])
        assert provider.wait_for("callback_events", 2)
    finally:
        provider.stop()
    kinds = [(e["kind"], e.get("digit")) for e in receiver.events]
    assert kinds == [("delivered", None), ("answered", digit_by_hash("c-1", PHONE, CHOICES))]


def test_answers_scripted_per_number_win_over_the_rule(receiver):
    silent = "13900000002"
    provider = _provider(receiver, answers={PHONE: "3", silent: ""})
    try:
        HttpOutreachGateway(url=provider.url, key="k").place_calls(
            [_call("c-1"), _call("c-2", silent)]
        )
        assert provider.wait_for("callback_events", 3)
        assert provider.wait_callbacks_idle()
    finally:
        provider.stop()
    answered = [(e["reference"], e["digit"]) for e in receiver.events if e["kind"] == "answered"]
    assert answered == [("c-1", "3")]


def test_out_of_order_sends_the_answer_before_its_delivery(receiver):
    provider = _provider(receiver, out_of_order=True)
    try:
        HttpOutreachGateway(url=provider.url, key="k").place_calls([_call("c-1")])
        assert provider.wait_for("callback_events", 2)
    finally:
        provider.stop()
    assert [e["kind"] for e in receiver.events] == ["answered", "delivered"]


def test_duplicates_repeat_the_same_event_id_in_another_request(receiver):
    provider = _provider(receiver, duplicate_rate=1.0)
    try:
        HttpOutreachGateway(url=provider.url, key="k").send_sms_batch([Message("m-1", PHONE, "x")])
        assert provider.wait_for("callback_events", 2)
    finally:
        provider.stop()
    first, second = receiver.events
    assert first == second and len(receiver.requests) == 2


def test_undeliverable_numbers_get_a_failed_event(receiver):
    provider = _provider(receiver, undeliverable={PHONE})
    try:
        HttpOutreachGateway(url=provider.url, key="k").place_calls([_call("c-1")])
        assert provider.wait_for("callback_events", 1)
        assert provider.wait_callbacks_idle()
    finally:
        provider.stop()
    assert [e["kind"] for e in receiver.events] == ["failed"]


def test_a_delivery_waits_for_its_delay(receiver):
    provider = _provider(receiver, delivery_delay=0.4)
    try:
        sent = time.monotonic()
        HttpOutreachGateway(url=provider.url, key="k").send_sms_batch([Message("m-1", PHONE, "x")])
        assert provider.wait_for("callback_events", 1)
        assert time.monotonic() - sent >= 0.35
    finally:
        provider.stop()


def test_a_platform_that_fails_gets_the_events_again_until_it_takes_them(receiver):
    receiver.status = 503
    provider = _provider(receiver)
    try:
        HttpOutreachGateway(url=provider.url, key="k").send_sms_batch([Message("m-1", PHONE, "x")])
        assert provider.wait_for("callback_failures", 1)
        receiver.status = 200
        assert provider.wait_for("callback_events", 1)
    finally:
        provider.stop()
    ids = {e["id"] for e in receiver.events}
    assert len(receiver.requests) >= 2 and len(ids) == 1


def test_a_platform_that_refuses_the_signature_is_not_asked_again(receiver):
    receiver.status = 401
    provider = _provider(receiver)
    try:
        HttpOutreachGateway(url=provider.url, key="k").send_sms_batch([Message("m-1", PHONE, "x")])
        assert provider.wait_for("callback_events_refused", 1)
        assert provider.wait_callbacks_idle()
    finally:
        provider.stop()
    assert len(receiver.requests) == 1


def test_the_shares_of_failures_follow_the_configuration():
    config = ProviderConfig(error_rate=0.2, throttle_rate=0.1, seed=7)
    with ProviderServer(config) as provider:
        gateway = HttpOutreachGateway(url=provider.url, key="k")
        for i in range(200):
            gateway.send_sms_batch([Message(f"m-{i}", PHONE, "x")])
        counts = provider.counts()
    assert counts["requests"] == 200
    assert 20 <= counts["status_500"] <= 60 and 5 <= counts["status_429"] <= 35
    assert counts["status_200"] == 200 - counts["status_500"] - counts["status_429"]


def test_an_unknown_scripted_outcome_is_refused():
    with pytest.raises(ValueError), ProviderServer() as provider:
        provider.script("teapot")


def test_a_batch_larger_than_the_providers_limit_is_refused():
    with ProviderServer(ProviderConfig(max_batch=2)) as provider:
        results = HttpOutreachGateway(url=provider.url, key="k").send_sms_batch(
            [Message(f"m-{i}", PHONE, "x") for i in range(3)]
        )
    assert all(not r.ok and not r.retryable and "batch_too_large" in r.error for r in results)
