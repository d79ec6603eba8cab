import datetime as dt
import json

from gongzhi.accounts.models import Role
from gongzhi.core import clock
from gongzhi.registry.models import PersonTag, Tag
from gongzhi.visits.models import Visit
from gongzhi.workorders.models import WorkOrder


def post(client, data):
    return client.post("/api/v1/visits", json.dumps(data), content_type="application/json")


def body(world, **extra):
    data = {
        "household": world.household_a1.pk,
        "visited_at": (clock.now() - dt.timedelta(hours=2)).isoformat(),
        "method": "phone",
        "notes": "女儿手机13912345678",
        "persons": [world.person_a1.pk],
    }
    data.update(extra)
    return data


def test_a_grid_worker_logs_a_visit_with_a_follow_up_through_the_api(client, world):
    client.force_login(world.grid_worker_a)
    response = post(
        client, body(world, follow_up_category="repair", follow_up_description="修水管")
    )
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["persons"] == [world.person_a1.pk] and out["method"] == "phone"
    assert "13912345678" not in out["notes"] and out["notes"].startswith("女儿手机")
    assert out["follow_up_id"] == WorkOrder.objects.get().pk


def test_a_household_the_caller_does_not_visit_is_a_field_error(client, world):
    for user in (world.grid_worker_b, world.by_role[Role.POLICE]):
        client.force_login(user)
        response = post(client, body(world))
        assert response.status_code == 400
        assert "household" in response.json()["fields"]
    assert not Visit.objects.exists()


def test_bad_values_name_their_fields(client, world):
    client.force_login(world.grid_worker_a)
    response = post(client, body(world, concerns=["other"], follow_up_category="nope"))
    assert response.status_code == 400
    assert "follow_up_category" in response.json()["fields"]
    response = post(client, body(world, concerns=["other"]))
    assert response.status_code == 400
    assert "concern_note" in response.json()["fields"]


def test_lists_are_the_callers_area(client, world):
    client.force_login(world.grid_worker_a)
    post(client, body(world))
    PersonTag.objects.create(person=world.person_a2, tag=Tag.objects.get(code="elderly_alone"))
    assert client.get("/api/v1/visits").json()["count"] == 1
    assert client.get("/api/v1/visits?mine=true").json()["count"] == 1
    assert client.get("/api/v1/visits/due").json()["count"] == 0
    client.force_login(world.grid_worker_b)
    assert client.get("/api/v1/visits").json()["count"] == 0
    due = client.get("/api/v1/visits/due").json()["items"]
    assert [d["id"] for d in due] == [world.household_a2.pk] and due[0]["due_on"] is None
