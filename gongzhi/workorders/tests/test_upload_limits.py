"""Uploads over their limit are refused before they are read, or as soon as they pass it
(outside review, item 11: a 400 MB "photo" was received in full before the 5 MB check)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import encode_multipart
from django.urls import reverse

from gongzhi.api.tests.conftest import assert_error
from gongzhi.workorders.models import Attachment
from gongzhi.workorders.states import Status
from gongzhi.workorders.tests.factories import order_in, photo

BOUNDARY = "BoUnDaRyStRiNg"
HUGE = str(400 * 1024 * 1024)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _claiming(client: Client, url: str, length: str, data: dict) -> object:
    """A multipart POST whose Content-Length claims `length` bytes; the body is small, so
    a server that tried to read what was announced would fail the test client's check."""
    body = encode_multipart(BOUNDARY, data)
    return client.generic(
        "POST",
        url,
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=length,
    )


def _big_photo(mb: float = 6) -> SimpleUploadedFile:
    """Over the 5 MB photo limit, but well under any request limit."""
    raw = photo().read()
    return SimpleUploadedFile("big.jpg", raw + b"\0" * int(mb * 1024 * 1024), "image/jpeg")


@pytest.fixture
def order(people):
    return order_in(people, Status.IN_PROGRESS)


def test_an_api_photo_announced_at_400_mb_is_refused_before_it_is_read(people, order):
    client = _signed_in(people.volunteer)
    response = _claiming(
        client, f"/api/v1/workorders/{order.pk}/evidence", HUGE, {"note": "x", "photos": [photo()]}
    )
    assert_error(response, 413, "too_large")
    assert not Attachment.objects.filter(order=order).exists()


def test_an_api_photo_over_5_mb_is_stopped_while_it_arrives(people, order):
    client = _signed_in(people.volunteer)
    response = client.post(
        f"/api/v1/workorders/{order.pk}/evidence", {"note": "x", "photos": [_big_photo()]}
    )
    assert_error(response, 413, "too_large")
    assert not Attachment.objects.filter(order=order).exists()


def test_an_api_photo_over_5_mb_sent_with_a_key_is_stopped_too(people, order, as_key):
    caller = as_key(people.volunteer, people.world.community_a)
    response = caller.client.post(
        f"/api/v1/workorders/{order.pk}/evidence",
        {"note": "x", "photos": [_big_photo()]},
        headers={"X-API-Key": caller.key},
    )
    assert_error(response, 413, "too_large")


def test_a_workbench_photo_over_5_mb_gets_a_clear_page_and_changes_nothing(people, order):
    client = _signed_in(people.volunteer)
    response = client.post(
        reverse("workorders:evidence", args=[order.pk]), {"note": "x", "photos": [_big_photo()]}
    )
    assert response.status_code == 413
    assert "5 MB" in response.content.decode()
    assert not Attachment.objects.filter(order=order).exists()


def test_a_resident_photo_announced_at_400_mb_is_refused_before_it_is_read(people):
    client = _signed_in(people.resident)
    response = _claiming(
        client,
        reverse("workorders_resident:new"),
        HUGE,
        {"category": "repair", "description": "门锁坏了", "photos": [photo()]},
    )
    assert response.status_code == 413
    assert 'data-testid="refused"' in response.content.decode()


def test_any_form_announced_over_the_request_limit_is_refused(people, settings):
    settings.GONGZHI_REQUEST_MAX_BYTES = 1024 * 1024
    client = _signed_in(people.grid_worker)
    response = _claiming(client, reverse("imports:upload"), str(2 * 1024 * 1024), {"a": "b"})
    assert response.status_code == 413


def test_a_photo_within_the_limit_still_goes_through(people, order):
    client = _signed_in(people.volunteer)
    response = client.post(
        f"/api/v1/workorders/{order.pk}/evidence", {"note": "x", "photos": [photo()]}
    )
    assert response.status_code == 200, response.content
    assert Attachment.objects.filter(order=order).count() == 1
