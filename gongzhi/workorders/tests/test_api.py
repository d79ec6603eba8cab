"""Work orders over REST: the loop, scope, the error shape and its codes."""

import io
import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gongzhi.api.tests.conftest import BASE, Caller, assert_error
from gongzhi.workorders.models import WorkOrder
from gongzhi.workorders.states import Status
from gongzhi.workorders.tests.factories import new_order, order_in, photo


def caller(user) -> Caller:
    client = Client()
    client.force_login(user)
    return Caller(client)


def test_the_loop_over_the_api(people, world):
    resident, worker, volunteer = (
        caller(people.resident),
        caller(people.grid_worker),
        caller(people.volunteer),
    )

    created = resident.post("/workorders", {"category": "repair", "description": "门锁坏了"})
    assert created.status_code == 201, created.content
    body = created.json()
    order_id = body["id"]
    assert (body["status"], body["person_id"], body["channel"]) == (
        "new",
        world.person_a1.pk,
        "self",
    )

    suggestions = worker.get(f"/workorders/{order_id}/suggestions").json()
    assert people.volunteer.pk in [s["user_id"] for s in suggestions]
    dispatched = worker.post(
        f"/workorders/{order_id}/dispatch", {"handlers": [people.volunteer.pk]}
    ).json()
    assert (dispatched["status"], dispatched["offered_to"]) == ("dispatched", [people.volunteer.pk])

    assert volunteer.post(f"/workorders/{order_id}/accept").json()["status"] == "accepted"
    assert volunteer.post(f"/workorders/{order_id}/start").json()["status"] == "in_progress"
    evidence = volunteer.client.post(
        f"{BASE}/workorders/{order_id}/evidence", {"note": "换了锁芯", "photos": [photo()]}
    )
    assert evidence.status_code == 200, evidence.content
    assert len(evidence.json()["photos"]) == 1
    resolved = volunteer.post(f"/workorders/{order_id}/resolve", {"note": "已修好"}).json()
    assert resolved["status"] == "resolved"

    rated = resident.post(f"/workorders/{order_id}/rate", {"rating": 5, "comment": "很好"})
    assert rated.json()["status"] == "closed"
    assert_error(
        resident.post(f"/workorders/{order_id}/rate", {"rating": 4}), 409, "illegal_transition"
    )

    timeline = worker.get(f"/workorders/{order_id}/timeline").json()
    assert [e["action"] for e in timeline] == [
        "create", "dispatch", "accept", "start", "evidence", "resolve", "rate",
    ]  # fmt: skip
    photo_url = evidence.json()["photos"][0]["url"]
    picture = worker.client.get(photo_url)
    assert picture.status_code == 200 and picture["Content-Type"] == "image/jpeg"


def test_an_out_of_scope_order_is_404_like_a_missing_one(people):
    order = new_order(people)
    other = caller(people.grid_worker_b)

    assert_error(other.get(f"/workorders/{order.pk}"), 404, "not_found")
    assert_error(other.get("/workorders/999999"), 404, "not_found")
    assert_error(other.post(f"/workorders/{order.pk}/solve", {"note": "x"}), 404, "not_found")


def test_a_visible_order_the_role_may_not_move_is_403(people):
    order = new_order(people)

    assert_error(
        caller(people.resident).post(
            f"/workorders/{order.pk}/dispatch", {"handlers": [people.volunteer.pk]}
        ),
        403,
        "forbidden",
    )


def test_the_second_accept_is_told_someone_was_first(people):
    order = new_order(people)
    worker = caller(people.grid_worker)
    worker.post(
        f"/workorders/{order.pk}/dispatch",
        {"handlers": [people.volunteer.pk, people.party_member.pk]},
    )

    assert caller(people.party_member).post(f"/workorders/{order.pk}/accept").status_code == 200
    body = assert_error(
        caller(people.volunteer).post(f"/workorders/{order.pk}/accept"), 409, "already_taken"
    )
    assert body["message"]


def test_descriptions_empty_or_huge_are_refused(people):
    resident = caller(people.resident)

    assert_error(
        resident.post("/workorders", {"category": "repair", "description": "  "}),
        400,
        "invalid",
        ("description",),
    )
    assert_error(
        resident.post("/workorders", {"category": "repair", "description": "x" * 4001}),
        422,
        "invalid",
        ("description",),
    )
    huge = json.dumps({"category": "repair", "description": "长" * (10 * 1024 * 1024 // 3)})
    response = resident.client.generic(
        "POST", f"{BASE}/workorders", huge, content_type="application/json"
    )
    assert response.status_code in (400, 413)
    assert not WorkOrder.objects.exists()


def test_a_non_image_and_an_svg_with_script_are_not_photos(people):
    order = order_in(people, Status.ACCEPTED)
    volunteer = caller(people.volunteer)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

    for name, data in (("x.jpg", b"MZ\x90\x00 not a picture"), ("x.svg", svg)):
        upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
        response = volunteer.client.post(
            f"{BASE}/workorders/{order.pk}/evidence", {"note": "证据", "photos": [upload]}
        )
        assert_error(response, 400, "invalid", ("photos",))
    assert not order.attachments.exists()


def test_too_many_photos_are_refused(people):
    order = order_in(people, Status.ACCEPTED)
    volunteer = caller(people.volunteer)

    response = volunteer.client.post(
        f"{BASE}/workorders/{order.pk}/evidence",
        {"note": "多图", "photos": [photo(f"p{i}.jpg") for i in range(7)]},
    )

    assert_error(response, 400, "invalid", ("photos",))


def test_photos_lose_their_exif_location(people):
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (111.0, 45.0, 0.0)}  # GPS
    order = order_in(people, Status.ACCEPTED)
    volunteer = caller(people.volunteer)

    volunteer.client.post(
        f"{BASE}/workorders/{order.pk}/evidence", {"note": "现场", "photos": [photo(exif=exif)]}
    )

    stored = order.attachments.get()
    picture = caller(people.grid_worker).client.get(
        f"{BASE}/workorders/{order.pk}/photos/{stored.pk}"
    )
    data = b"".join(picture.streaming_content)
    assert b"PhoneMaker" not in data
    assert not Image.open(io.BytesIO(data)).getexif()


def test_a_photo_from_the_api_cannot_run_as_a_page(people):
    """Same headers as the workbench and Open311's media links: no sniffing, sandboxed."""
    order = order_in(people, Status.ACCEPTED)
    caller(people.volunteer).client.post(
        f"{BASE}/workorders/{order.pk}/evidence", {"note": "现场", "photos": [photo()]}
    )
    stored = order.attachments.get()

    picture = caller(people.grid_worker).client.get(
        f"{BASE}/workorders/{order.pk}/photos/{stored.pk}"
    )

    assert picture.status_code == 200
    assert picture["X-Content-Type-Options"] == "nosniff"
    assert picture["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert picture["Content-Disposition"] == "inline"
    assert picture["Cache-Control"] == "private, no-store"


def test_an_anonymous_complaint_shows_no_requester_to_the_volunteer(people):
    order = new_order(people, code="complaint", anonymous=True, description="楼下噪音")
    caller(people.grid_worker).post(
        f"/workorders/{order.pk}/dispatch", {"handlers": [people.volunteer.pk]}
    )

    seen = caller(people.volunteer).get(f"/workorders/{order.pk}").json()
    staff = caller(people.grid_worker).get(f"/workorders/{order.pk}").json()

    assert (seen["requester"], seen["person_id"], seen["household_id"]) == (None, None, None)
    steps = caller(people.volunteer).get(f"/workorders/{order.pk}/timeline").json()
    assert steps[0]["action"] == "create" and steps[0]["actor"] is None
    page = caller(people.volunteer).client.get(f"/orders/{order.pk}/").content.decode()
    assert people.resident.username not in page and str(people.resident) not in page
    assert people.world.household_a1.address not in json.dumps(seen, ensure_ascii=False)
    assert staff["requester"] == people.world.person_a1.name


def test_lists_are_scoped(people, world):
    mine = new_order(people)
    stranger = caller(people.grid_worker_b).get("/workorders").json()
    own = caller(people.resident).get("/workorders", mine="true").json()

    assert stranger["items"] == [] and stranger["count"] == 0
    assert [o["id"] for o in own["items"]] == [mine.pk]


def test_an_api_key_files_as_its_membership(people, world, as_key):
    key = as_key(people.grid_worker, world.grid_a1)

    response = key.post(
        "/workorders",
        {"category": "sanitation", "description": "垃圾桶满了", "place": world.grid_a1.pk},
    )

    assert response.status_code == 201, response.content
    assert response.json()["channel"] == "api"
    assert_error(
        key.post(
            "/workorders", {"category": "repair", "description": "x", "place": world.grid_b1.pk}
        ),
        400,
        "invalid",
        ("place",),
    )


def test_categories_list_their_deadlines(people):
    body = caller(people.resident).get("/workorder-categories").json()

    repair = next(c for c in body if c["code"] == "repair")
    assert {s["priority"] for s in repair["slas"]} >= {"normal", "urgent"}
    assert next(c for c in body if c["code"] == "complaint")["allows_anonymous"]
