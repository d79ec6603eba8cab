"""Certificate pages: the phone's issue form, page and PDF (a real PDF whose QR carries
the token), the workbench lists, and the public /verify page and keys file."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from gongzhi.accounts.models import Role
from gongzhi.points import certificate_pdf, certificates, ledger, signing
from gongzhi.points.models import Certificate, EntryKind, SigningKey


@pytest.fixture
def volunteer(world):
    user = world.by_role[Role.VOLUNTEER]
    user.display_name = "张晓明"
    user.save(update_fields=["display_name"])
    ledger.entry_post(
        holder=user, kind=EntryKind.AWARD, points=10, hours=Decimal("12.5"), source="signup:1",
        at=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC),
    )  # fmt: skip
    return user


@pytest.fixture
def certificate(volunteer):
    return certificates.certificate_issue(
        actor=volunteer, period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 6, 30)
    )


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --- phone ---------------------------------------------------------------------------------


def test_a_volunteer_issues_a_certificate_from_the_phone(volunteer):
    client = _client(volunteer)
    url = reverse("points_certificates_m:issue")
    assert client.get(url).status_code == 200
    response = client.post(url, {"period_start": "2026-01-01", "period_end": "2026-06-30"})
    certificate = Certificate.objects.get(holder=volunteer)
    assert response.status_code == 302
    assert response["Location"] == reverse("points_certificates_m:detail", args=[certificate.pk])
    page = client.get(response["Location"]).content.decode()
    assert certificate.serial in page and "12.5" in page and "张*明" in page
    assert "张晓明" not in page and "<svg" in page
    assert certificates.token_of(certificate) in page
    listing = client.get(reverse("points_certificates_m:list")).content.decode()
    assert certificate.serial in listing


def test_the_issue_form_names_the_field_for_a_period_ending_before_it_starts(volunteer):
    response = _client(volunteer).post(
        reverse("points_certificates_m:issue"),
        {"period_start": "2026-06-30", "period_end": "2026-01-01"},
    )
    assert response.status_code == 200
    assert "period_end" in response.context["form"].errors
    assert not Certificate.objects.exists()


def test_the_issue_form_refuses_zero_hours(world):
    response = _client(world.resident).post(
        reverse("points_certificates_m:issue"),
        {"period_start": "2026-01-01", "period_end": "2026-06-30"},
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert not Certificate.objects.exists()


def test_someone_elses_certificate_is_not_found(world, certificate):
    for user in (world.resident, world.secretary):
        client = _client(user)
        assert (
            client.get(reverse("points_certificates_m:detail", args=[certificate.pk])).status_code
            == 404
        )
        assert (
            client.get(reverse("points_certificates_m:pdf", args=[certificate.pk])).status_code
            == 404
        )


def test_the_phone_pages_send_strangers_to_the_portal_sign_in(certificate):
    response = Client().get(reverse("points_certificates_m:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))


# --- the PDF ---------------------------------------------------------------------------------


def _qr_matrix_from_pdf(body: bytes) -> list[list[bool]]:
    """Read the embedded QR image back, module by module (no QR decoder is installed: the
    matrix is compared with the one segno makes from the token's link)."""
    from pypdf import PdfReader

    page = PdfReader(io.BytesIO(body)).pages[0]
    (image,) = page.images
    picture = image.image.convert("L")
    modules = picture.width // certificate_pdf.QR_SCALE - 2 * certificate_pdf.QR_BORDER
    half = certificate_pdf.QR_SCALE // 2
    return [
        [
            picture.getpixel(
                (
                    (certificate_pdf.QR_BORDER + x) * certificate_pdf.QR_SCALE + half,
                    (certificate_pdf.QR_BORDER + y) * certificate_pdf.QR_SCALE + half,
                )
            )
            < 128
            for x in range(modules)
        ]
        for y in range(modules)
    ]


def test_the_pdf_is_one_page_with_the_chinese_statement_and_the_serial(volunteer, certificate):
    from pypdf import PdfReader

    response = _client(volunteer).get(reverse("points_certificates_m:pdf", args=[certificate.pk]))
    body = response.content
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert body.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(body))
    assert len(reader.pages) == 1
    # pypdf reads fpdf2's two-byte glyph codes with a NUL between characters at times.
    text = "".join(reader.pages[0].extract_text().replace("\x00", "").split())
    assert certificate.serial in text and "12.5" in text and "张*明" in text
    assert "玉岭社区" in text  # the CJK font is embedded (a subset) and its text extracts
    fonts = [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]
    (descendant,) = fonts[0]["/DescendantFonts"]
    descriptor = descendant.get_object()["/FontDescriptor"].get_object()
    assert "NotoSansCJK" in fonts[0]["/BaseFont"]  # a subset ("ABCDEF+…") embedded
    assert any(name in descriptor for name in ("/FontFile2", "/FontFile3"))


def test_the_pdf_qr_carries_the_verify_link_with_the_whole_token(volunteer, certificate):
    body = certificate_pdf.render(certificates.shown(certificate))
    token = certificates.token_of(certificate)
    expected = [[bool(cell) for cell in row] for row in certificate_pdf.qr_of(token).matrix]
    assert _qr_matrix_from_pdf(body) == expected
    link = certificate_pdf.verify_link(token)
    assert signing.token_from_text(link) == token
    assert certificates.certificate_verify(link).valid


# --- workbench -----------------------------------------------------------------------------


def test_staff_see_the_certificates_of_their_area_masked(world, certificate):
    page = _client(world.secretary).get(reverse("points_certificates:list")).content.decode()
    assert certificate.serial in page and "张*明" in page and "张晓明" not in page
    other = _client(world.by_role[Role.POLICE]).get(reverse("points_certificates:list"))
    assert other.status_code == 404


def test_the_secretary_makes_and_rotates_the_key(world):
    client = _client(world.secretary)
    assert client.get(reverse("points_certificates:keys")).status_code == 200
    community = {"community": world.community_a.pk}
    client.post(reverse("points_certificates:key_create"), community)
    first = SigningKey.objects.get()
    client.post(reverse("points_certificates:key_rotate"), community)
    first.refresh_from_db()
    assert first.retired_at is not None
    current = SigningKey.objects.get(retired_at=None)
    page = client.get(reverse("points_certificates:keys")).content.decode()
    assert first.public_key in page and current.public_key in page


def test_the_secretary_cannot_touch_another_communitys_key(world):
    client = _client(world.secretary)
    response = client.post(
        reverse("points_certificates:key_rotate"), {"community": world.community_b.pk}
    )
    assert response.status_code == 302 and not SigningKey.objects.exists()
    staff = _client(world.by_role[Role.COMMUNITY_STAFF])
    assert staff.get(reverse("points_certificates:keys")).status_code == 404
    assert (
        staff.post(
            reverse("points_certificates:key_create"), {"community": world.community_a.pk}
        ).status_code
        == 404
    )
    assert not SigningKey.objects.exists()


# --- public ---------------------------------------------------------------------------------


def _altered(token: str) -> str:
    head, tail = token.split(".")
    payload = json.loads(signing.b64url_decode(head))
    payload["hours"] = "125.0"
    return f"{signing.b64url(signing.canonical(payload))}.{tail}"


def test_anyone_checks_a_certificate_from_its_qr_link(certificate):
    token = certificates.token_of(certificate)
    response = Client().get(reverse("verify:verify"), {"t": token})
    page = response.content.decode()
    assert response.status_code == 200 and response.context["result"].valid
    assert 'data-reason="ok"' in page and certificate.serial in page and "12.5" in page
    assert "张晓明" not in page


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (_altered, "altered"),
        (lambda t: t[:40], "malformed"),
        (lambda t: "garbage", "malformed"),
    ],
)
def test_a_bad_certificate_says_why_in_the_users_language(certificate, mangle, reason):
    token = mangle(certificates.token_of(certificate))
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = client.post(reverse("verify:verify"), {"token": token})
    result = response.context["result"]
    assert response.status_code == 200 and result.reason == reason and not result.valid
    assert f'data-reason="{reason}"' in response.content.decode()
    assert ("签名不匹配" if reason == "altered" else "不是有效的证明码") in result.message
    assert "125.0" not in response.content.decode().split("<form")[0]  # claims not shown


def test_a_token_of_an_unknown_key_is_named_so(world, certificate):
    forger = signing.generate(signing.ED25519)
    payload = json.loads(certificate.payload)
    payload["key_id"] = forger.key_id
    raw = signing.canonical(payload)
    token = signing.token_of(
        raw, signing.sign(forger.algorithm, forger.private_key, forger.public_key, raw)
    )
    response = Client().post(reverse("verify:verify"), {"token": token})
    assert response.context["result"].reason == "unknown_key"


@override_settings(GONGZHI_RATE_VERIFY="3/10min")
def test_the_verify_page_is_rate_limited_per_address(certificate):
    client = Client()
    token = certificates.token_of(certificate)
    assert client.get(reverse("verify:verify")).status_code == 200  # the empty page is free
    for _ in range(3):
        assert client.get(reverse("verify:verify"), {"t": token}).status_code == 200
    refused = client.post(reverse("verify:verify"), {"token": token})
    assert refused.status_code == 429 and "Retry-After" in refused


def test_the_keys_file_is_public_and_verifies_offline(world, certificate):
    response = Client().get(reverse("verify:keys_json"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    keys = signing.keys_from_document(response.json())
    assert certificate.key.key_id in keys
    result = signing.verify_token(certificates.token_of(certificate), keys.get)
    assert result.valid
    assert "private" not in response.content.decode()
