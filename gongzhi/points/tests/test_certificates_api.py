"""The public certificate operations: verify a token, list the keys (no credentials)."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.test import Client, override_settings

from gongzhi.accounts.models import Role
from gongzhi.points import certificates, ledger, signing
from gongzhi.points.models import EntryKind

VERIFY, KEYS = "/api/v1/certificates/verify", "/api/v1/certificates/keys"


@pytest.fixture
def certificate(world):
    user = world.by_role[Role.VOLUNTEER]
    ledger.entry_post(
        holder=user, kind=EntryKind.AWARD, points=5, hours=Decimal(3), source="signup:1",
        at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    return certificates.certificate_issue(
        actor=user, period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 3, 31)
    )


def _verify(client, token):
    return client.post(VERIFY, json.dumps({"token": token}), content_type="application/json")


def test_anyone_verifies_a_certificate(certificate):
    response = _verify(Client(), certificates.token_of(certificate))
    body = response.json()
    assert response.status_code == 200 and body["valid"] and body["code"] == "ok"
    assert body["certificate"]["serial"] == certificate.serial
    assert body["certificate"]["hours"] == "3.0"


def test_an_altered_certificate_is_refused_with_its_reason(certificate):
    head, tail = certificates.token_of(certificate).split(".")
    payload = json.loads(signing.b64url_decode(head))
    payload["period_end"] = "2026-12-31"
    token = f"{signing.b64url(signing.canonical(payload))}.{tail}"
    body = _verify(Client(HTTP_ACCEPT_LANGUAGE="zh-hans"), token).json()
    assert (body["valid"], body["code"], body["certificate"]) == (False, "altered", None)
    assert "签名不匹配" in body["message"]  # in the caller's language


def test_a_truncated_token_is_malformed_and_an_empty_one_a_field_error(certificate):
    body = _verify(Client(), certificates.token_of(certificate)[:30]).json()
    assert body["code"] == "malformed"
    empty = _verify(Client(), "")
    assert empty.status_code in (400, 422) and "token" in json.dumps(empty.json()["fields"])


def test_the_keys_are_listed_for_anyone(certificate):
    response = Client().get(KEYS)
    body = response.json()
    assert response.status_code == 200 and body["format"] == "gongzhi-certificate-keys"
    assert [k["key_id"] for k in body["keys"]] == [certificate.key.key_id]
    assert signing.keys_from_document(body)  # the same shape as /verify/keys.json


@override_settings(GONGZHI_RATE_API_ANON="2/min")
def test_anonymous_checks_count_against_the_address_limit(certificate):
    client = Client()
    token = certificates.token_of(certificate)
    assert [_verify(client, token).status_code for _ in range(3)] == [200, 200, 429]
