"""Report-ins, volunteers and pairings in the workbench and over the API; family proxy
requests in the workbench and over the API."""

import pytest
from django.test import Client

from gongzhi.accounts.models import Membership, ProxyLink, Role, User
from gongzhi.accounts.services import user_create, user_set_phone
from gongzhi.api.tests.conftest import Caller
from gongzhi.registry import proxies
from gongzhi.registry import services as registry_services
from gongzhi.testing import PASSWORD
from gongzhi.workorders import reportin
from gongzhi.workorders.models import Pairing


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def leader(world):
    return world.by_role[Role.GRID_LEADER]


@pytest.fixture
def report(world):
    user = user_create(username="applicant", password=PASSWORD, display_name="周志愿")
    user_set_phone(user=user, phone="13655550001")
    return reportin.reportin_submit(
        actor=user, kind="party_member", skills=["care"], community=world.community_a
    )


def test_grid_leader_approves_then_pairs_in_the_workbench(world, leader, report):
    client = _client(leader)
    listing = client.get("/orders/volunteers/").content.decode()
    assert "周志愿" in listing
    page = client.get(f"/orders/volunteers/reportins/{report.pk}/").content.decode()
    assert "136****0001" in page and "13655550001" not in page

    response = client.post(
        f"/orders/volunteers/reportins/{report.pk}/approve/",
        {"grid": world.grid_a1.pk, "skills": ["care", "errands"]},
    )
    assert response.status_code == 302
    assert response.url == f"/orders/volunteers/{report.user_id}/"
    assert Membership.objects.filter(user=report.user, area=world.grid_a1).exists()

    page = client.get(response.url).content.decode()
    assert world.household_a1.address in page and world.household_b1.address not in page
    client.post(
        f"/orders/volunteers/{report.user_id}/pairings/", {"households": [world.household_a1.pk]}
    )
    assert Pairing.objects.filter(handler=report.user, household=world.household_a1).exists()
    # The pairing shows on the household and person pages.
    assert "周志愿" in client.get(f"/register/households/{world.household_a1.pk}/").content.decode()
    assert "周志愿" in client.get(f"/register/persons/{world.person_a1.pk}/").content.decode()


def test_pairing_more_than_eight_is_refused_with_a_message(world, leader, report):
    reportin.reportin_approve(actor=leader, report=report, grid=world.grid_a1)
    homes = [
        registry_services.household_create(
            actor=None, building=world.building_a1, unit="3", room=f"{i}02"
        )
        for i in range(9)
    ]
    response = _client(leader).post(
        f"/orders/volunteers/{report.user_id}/pairings/",
        {"households": [h.pk for h in homes]},
        follow=True,
    )
    assert response.status_code == 200
    assert not Pairing.objects.filter(handler=report.user).exists()
    assert any("8" in str(m) for m in response.context["messages"])


def test_another_grid_leader_gets_404(world, report):
    other = user_create(username="leader_b", password=PASSWORD)
    from gongzhi.accounts.services import membership_grant

    membership_grant(user=other, area=world.grid_b1, role=Role.GRID_LEADER)
    client = _client(other)
    assert client.get(f"/orders/volunteers/reportins/{report.pk}/").status_code == 404
    assert (
        client.post(
            f"/orders/volunteers/reportins/{report.pk}/approve/", {"grid": world.grid_b1.pk}
        ).status_code
        == 404
    )


def test_staff_add_someone_directly(world, leader):
    response = _client(leader).post(
        "/orders/volunteers/add/",
        {
            "name": "陈党员",
            "phone": "13655550002",
            "kind": "party_member",
            "grid": world.grid_a1.pk,
            "skills": ["repair"],
        },
    )
    assert response.status_code == 302
    user = User.objects.get(display_name="陈党员")
    assert Membership.objects.filter(user=user, role=Role.PARTY_MEMBER).exists()


def test_api_lists_approves_refuses_and_pairs(world, leader, report):
    api = Caller(_client(leader))
    items = api.get("/reportins").json()["items"]
    assert [i["id"] for i in items] == [report.pk]
    assert items[0]["phone"] == "136****0001"

    bad = api.post(f"/reportins/{report.pk}/approve", {"grid": world.grid_b1.pk})
    assert bad.status_code == 400 and "grid" in bad.json()["fields"]
    done = api.post(f"/reportins/{report.pk}/approve", {"grid": world.grid_a1.pk})
    assert done.status_code == 200 and done.json()["status"] == "approved"

    put = api.request(
        "PUT", f"/volunteers/{report.user_id}/pairings", {"households": [world.household_a1.pk]}
    )
    assert put.status_code == 200, put.content
    assert [h["household_id"] for h in put.json()["households"]] == [world.household_a1.pk]
    outside = api.request(
        "PUT", f"/volunteers/{report.user_id}/pairings", {"households": [world.household_b1.pk]}
    )
    assert outside.status_code == 400 and "households" in outside.json()["fields"]
    assert api.get(f"/volunteers/{report.user_id}/pairings").json()["max"] == 8

    again = api.post(f"/reportins/{report.pk}/refuse", {"reason": "已批准"})
    assert again.status_code == 400


def test_api_refuse_needs_a_reason(world, report):
    api = Caller(_client(world.secretary))
    assert api.post(f"/reportins/{report.pk}/refuse", {"reason": ""}).status_code == 400
    done = api.post(f"/reportins/{report.pk}/refuse", {"reason": "名额已满"})
    assert done.json()["status"] == "refused"


# --- proxies in the workbench and the API ---------------------------------------------------


@pytest.fixture
def child(world):
    user = user_create(username="child", password=PASSWORD, display_name="张小明")
    user_set_phone(user=user, phone="13700001234")
    return user


def _ask(world, child):
    return proxies.proxy_request_create(
        actor=child,
        name=world.person_a1.name,
        id_number=world.person_a1.id_number.reveal(),
        relation="child",
    )


def test_building_head_confirms_from_the_queue(world, child):
    request = _ask(world, child)
    client = _client(world.by_role[Role.BUILDING_HEAD])
    page = client.get("/register/proxies/").content.decode()
    assert world.person_a1.name in page and "137****1234" in page and "13700001234" not in page
    assert client.post(f"/register/proxies/{request.pk}/approve/").status_code == 302
    assert ProxyLink.objects.filter(user=child, person=world.person_a1, is_active=True).exists()
    assert (
        _client(world.grid_worker_b)
        .get("/register/proxies/")
        .content.decode()
        .count(world.person_a1.name)
        == 0
    )


def test_person_page_links_and_ends_on_the_spot(world):
    client = _client(world.grid_worker_a)
    url = f"/register/persons/{world.person_a1.pk}/"
    response = client.post(
        url + "proxies/", {"phone": "13700009999", "relation": "child", "label": "爸爸"}
    )
    assert response.status_code == 302
    link = ProxyLink.objects.get(person=world.person_a1)
    assert "爸爸" in client.get(url).content.decode()
    assert client.post(url + f"proxies/{link.pk}/end/").status_code == 302
    link.refresh_from_db()
    assert not link.is_active
    police = _client(world.by_role[Role.POLICE])
    assert (
        police.post(url + "proxies/", {"phone": "13700009998", "relation": "child"}).status_code
        == 403
    )


def test_proxy_api(world, child):
    request = _ask(world, child)
    api = Caller(_client(world.grid_worker_a))
    items = api.get("/proxy-requests").json()["items"]
    assert [i["id"] for i in items] == [request.pk]
    assert items[0]["requester_phone"] == "137****1234"
    assert (
        Caller(_client(world.grid_worker_b))
        .post(f"/proxy-requests/{request.pk}/approve")
        .status_code
        == 404
    )
    refused = api.post(f"/proxy-requests/{request.pk}/refuse", {"reason": "未能核实"})
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
