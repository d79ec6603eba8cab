"""The HTTP outreach gateway against the local provider server over real sockets: batch
SMS and calls, per-item refusals, 500s, 429 with Retry-After, a provider that hangs,
refusals of the whole batch, one kept connection, and no number in any error or log."""

from __future__ import annotations

import logging
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from gongzhi.outreach.gateways import Call, Message, get_gateway
from gongzhi.outreach.http_gateway import HttpOutreachGateway, _results, idempotency_key
from gongzhi.outreach.provider_server import ProviderConfig, ProviderServer

KEY = "outreach-test-key"
PHONE = "13812345678"
REFUSED = "13900000009"


@pytest.fixture
def provider():
    with ProviderServer(ProviderConfig(key=KEY, refuse={REFUSED}, keep_items=True)) as server:
        yield server


def _gateway(provider, timeout=2.0, key=KEY, path="/v1") -> HttpOutreachGateway:
    return HttpOutreachGateway(url=provider.url + path, key=key, timeout=timeout)


def _messages(n: int, prefix="m") -> list[Message]:
    return [
        Message(reference=f"{prefix}-{i}", phone=PHONE, text="【共治】请报到") for i in range(n)
    ]


def test_a_batch_of_messages_is_accepted_item_by_item_in_order(provider):
    results = _gateway(provider).send_sms_batch(_messages(3))
    assert [r.ok for r in results] == [True, True, True]
    assert all(r.status == "sent" and r.provider_id.startswith("sms-") for r in results)
    assert len({r.provider_id for r in results}) == 3
    assert [item["reference"] for item in provider.received] == ["m-0", "m-1", "m-2"]
    assert provider.received[0]["text"] == "【共治】请报到"


def test_calls_carry_their_script_and_keypad_choices(provider):
    call = Call(
        reference="c-1", phone=PHONE, script="您好", choices={"1": "已报到", "2": "需要帮助"}
    )
    [result] = _gateway(provider).place_calls([call])
    assert result.ok and result.provider_id.startswith("call-")
    [item] = provider.received
    assert item["kind"] == "call" and item["script"] == "您好"
    assert item["choices"] == {"1": "已报到", "2": "需要帮助"}


def test_refused_numbers_fail_alone_and_are_not_retried(provider):
    batch = [*_messages(1), Message("m-bad", REFUSED, "x"), Message("m-short", "12345", "x")]
    ok, refused, short = _gateway(provider).send_sms_batch(batch)
    assert ok.ok
    for result in (refused, short):
        assert not result.ok and not result.retryable
        assert result.error == "invalid_number: not a mobile number"


def test_a_server_error_makes_every_item_retryable(provider):
    provider.script("500")
    results = _gateway(provider).send_sms_batch(_messages(4))
    assert all(not r.ok and r.retryable for r in results)
    assert results[0].error.startswith("HTTP 500")


def test_rate_limited_batch_waits_as_long_as_the_provider_asks(provider):
    provider.config.retry_after = 7
    provider.script("429")
    results = _gateway(provider).place_calls([Call("c-1", PHONE, "s")])
    assert results[0].retryable and results[0].retry_after == 7
    assert results[0].error.startswith("HTTP 429")


def test_a_provider_that_hangs_times_out_retryably_and_the_next_batch_goes_through(provider):
    provider.config.hang_seconds = 3
    provider.script("hang")
    gateway = _gateway(provider, timeout=0.3)
    started = time.monotonic()
    results = gateway.send_sms_batch(_messages(2))
    assert time.monotonic() - started < 1.5
    assert all(not r.ok and r.retryable and r.error == "timeout" for r in results)
    assert all(r.ok for r in gateway.send_sms_batch(_messages(2, prefix="again")))


@pytest.mark.parametrize("outcome", ["400", "401"])
def test_a_refused_batch_is_not_retried(provider, outcome):
    provider.script(outcome)
    results = _gateway(provider).send_sms_batch(_messages(2))
    assert all(not r.ok and not r.retryable for r in results)
    assert results[0].error.startswith(f"HTTP {outcome}")


def test_a_wrong_key_is_refused_and_not_retried(provider):
    [result] = _gateway(provider, key="wrong").send_sms_batch(_messages(1))
    assert not result.ok and not result.retryable and result.error.startswith("HTTP 401")
    assert provider.counts().get("sms_items", 0) == 0


def test_batches_share_one_kept_connection(provider):
    gateway = _gateway(provider)
    for batch in range(5):
        assert all(r.ok for r in gateway.send_sms_batch(_messages(50, prefix=f"b{batch}")))
    counts = provider.counts()
    assert counts["requests"] == 5 and counts["connections"] == 1


def test_a_connection_the_provider_closed_is_reopened_without_sending_twice(provider):
    gateway = _gateway(provider)
    assert gateway.send_sms_batch(_messages(2))[0].ok
    provider.drop_connections()
    time.sleep(0.05)
    assert all(r.ok for r in gateway.send_sms_batch(_messages(2, prefix="after")))
    counts = provider.counts()
    assert counts["sms_accepted"] == 4 and counts["connections"] == 2


def test_the_same_batch_sent_again_is_answered_from_the_providers_memory(provider):
    gateway = _gateway(provider)
    first = gateway.send_sms_batch(_messages(3))
    again = gateway.send_sms_batch(_messages(3))
    assert [r.provider_id for r in again] == [r.provider_id for r in first]
    assert provider.counts()["sms_accepted"] == 3 and provider.counts()["replays"] == 1


def test_the_idempotency_key_follows_the_references():
    assert idempotency_key("sms", ["a", "b"]) == idempotency_key("sms", ["a", "b"])
    assert idempotency_key("sms", ["a", "b"]) != idempotency_key("sms", ["a", "c"])
    assert idempotency_key("call", ["a"]).startswith("gongzhi-call-")


def test_nobody_listening_is_retryable():
    gateway = HttpOutreachGateway(url="http://127.0.0.1:9", key=KEY, timeout=1)
    [result] = gateway.send_sms_batch(_messages(1))
    assert not result.ok and result.retryable and result.error.startswith("connection")


def test_an_item_the_provider_did_not_answer_for_is_retryable():
    body = b'{"results": [{"reference": "a", "id": "p1", "status": "accepted"}]}'
    answered, forgotten = _results(200, None, body, ["a", "b"])
    assert answered.ok and answered.provider_id == "p1"
    assert not forgotten.ok and forgotten.retryable


def test_a_refused_batch_keeps_each_items_own_error():
    body = (
        b'{"error": {"code": "rejected"}, "results": ['
        b'{"reference": "a", "error": {"code": "blacklisted", "message": "opted out"}}]}'
    )
    own, other = _results(422, None, body, ["a", "b"])
    assert own.error == "blacklisted: opted out" and not own.retryable
    assert other.error == "HTTP 422 rejected" and not other.retryable


def test_a_number_the_provider_echoes_back_is_masked_in_the_error():
    body = f'{{"error": {{"code": "bad", "message": "{PHONE} is not a mobile"}}}}'.encode()
    [result] = _results(400, None, body, ["a"])
    assert PHONE not in result.error and "is not a mobile" in result.error


def test_log_lines_carry_no_number(provider, caplog):
    provider.config.hang_seconds = 2
    provider.script("hang")
    with caplog.at_level(logging.DEBUG):
        _gateway(provider, timeout=0.2).send_sms_batch(_messages(1))
    assert caplog.records and all(PHONE not in r.getMessage() for r in caplog.records)


def test_from_settings_needs_a_url():
    with override_settings(GONGZHI_OUTREACH_HTTP_URL=""), pytest.raises(ImproperlyConfigured):
        HttpOutreachGateway.from_settings()


def test_a_url_without_http_is_refused():
    with pytest.raises(ImproperlyConfigured):
        HttpOutreachGateway(url="ftp://example.org", key=KEY)


def test_the_http_gateway_is_chosen_by_setting(provider):
    with override_settings(
        GONGZHI_OUTREACH_GATEWAY="http",
        GONGZHI_OUTREACH_HTTP_URL=provider.url,
        GONGZHI_OUTREACH_HTTP_KEY=KEY,
        GONGZHI_OUTREACH_HTTP_TIMEOUT=3,
    ):
        gateway = get_gateway()
    assert isinstance(gateway, HttpOutreachGateway) and gateway.timeout == 3
    assert gateway.send_sms_batch(_messages(1))[0].ok
