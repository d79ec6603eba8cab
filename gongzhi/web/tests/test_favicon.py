"""Browsers ask every site for /favicon.ico: it answers with the icon, for anyone."""

from django.urls import reverse


def test_favicon_is_served_to_anyone(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age" in response["Cache-Control"]
    assert reverse("favicon") == "/favicon.ico"
