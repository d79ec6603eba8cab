import datetime as dt

from django.urls import reverse

from gongzhi.accounts.models import Role
from gongzhi.core import clock
from gongzhi.registry.models import PersonTag, Tag
from gongzhi.visits.models import Visit, VisitRule
from gongzhi.workorders.models import WorkOrder


def _post(client, household, **extra):
    data = {
        "visited_at": (clock.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "method": "home",
    }
    data.update(extra)
    return client.post(reverse("visits:log", args=[household.pk]), data)


def test_the_household_page_offers_a_visit_button_to_those_who_visit(client, world):
    client.force_login(world.grid_worker_a)
    body = client.get(reverse("registry:household_detail", args=[world.household_a1.pk])).content
    assert reverse("visits:log", args=[world.household_a1.pk]).encode() in body
    client.force_login(world.by_role[Role.POLICE])
    body = client.get(reverse("registry:household_detail", args=[world.household_a1.pk])).content
    assert reverse("visits:log", args=[world.household_a1.pk]).encode() not in body


def test_a_grid_worker_logs_a_visit_with_a_follow_up_order_from_the_form(client, world):
    client.force_login(world.grid_worker_a)
    response = _post(
        client,
        world.household_a1,
        persons=[world.person_a1.pk],
        concerns=["housing"],
        notes="楼道灯不亮",
        follow_up_category="repair",
        follow_up_description="楼道灯不亮，需要维修",
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.follow_up == WorkOrder.objects.get()
    history = client.get(reverse("visits:household", args=[world.household_a1.pk]))
    body = history.content.decode()
    assert "楼道灯不亮" in body and visit.follow_up.number in body


def test_a_bad_form_says_which_field_and_keeps_nothing(client, world):
    client.force_login(world.grid_worker_a)
    response = _post(client, world.household_a1, concerns=["other"])
    assert response.status_code == 200
    assert "concern_note" in response.context["form"].errors
    assert not Visit.objects.exists()


def test_a_household_of_another_grid_is_not_found(client, world):
    client.force_login(world.grid_worker_a)
    assert _post(client, world.household_a2).status_code == 404
    url = reverse("visits:household", args=[world.household_a2.pk])
    assert client.get(url).status_code == 404


def test_a_role_that_sees_the_household_but_does_not_visit_is_refused(client, world):
    client.force_login(world.by_role[Role.POLICE])
    assert _post(client, world.household_a1).status_code == 403
    assert not Visit.objects.exists()


def test_the_panel_says_when_the_household_is_due(client, world):
    PersonTag.objects.create(person=world.person_a1, tag=Tag.objects.get(code="elderly_alone"))
    client.force_login(world.grid_worker_a)
    url = reverse("visits:household", args=[world.household_a1.pk]) + "?panel=1"
    assert "从未走访" in client.get(url).content.decode()


def test_visits_due_and_my_visits_list_the_users_own(client, world):
    PersonTag.objects.create(person=world.person_a1, tag=Tag.objects.get(code="elderly_alone"))
    PersonTag.objects.create(person=world.person_a2, tag=Tag.objects.get(code="elderly_alone"))
    client.force_login(world.grid_worker_a)
    body = client.get(reverse("visits:due")).content.decode()
    assert world.household_a1.address in body and world.household_a2.address not in body
    _post(client, world.household_a1)
    body = client.get(reverse("visits:mine")).content.decode()
    assert world.household_a1.address in body


def test_the_secretary_sets_a_rule_and_a_grid_worker_only_reads_them(client, world):
    client.force_login(world.secretary)
    url, set_url = reverse("visits:rules"), reverse("visits:rule_set")
    response = client.post(set_url, {"tag": "elderly_alone", "every_days": "5"})
    assert response.status_code == 302
    assert VisitRule.objects.get(area=world.community_a).every_days == 5
    client.force_login(world.grid_worker_a)
    assert client.get(url).status_code == 200
    response = client.post(set_url, {"tag": "elderly_alone", "every_days": "1"})
    assert response.status_code == 404
    assert VisitRule.objects.get(area=world.community_a).every_days == 5


def test_a_bad_rule_says_the_rule(client, world):
    client.force_login(world.secretary)
    data = {"tag": "elderly_alone", "every_days": "0"}
    response = client.post(reverse("visits:rule_set"), data)
    assert response.status_code == 400
    assert "366" in response.content.decode()


def test_workload_is_for_the_grid_leader_and_the_secretary(client, world):
    for role, status in (
        (Role.GRID_LEADER, 200),
        (Role.SECRETARY, 200),
        (Role.GRID_WORKER, 404),
        (Role.STREET_OFFICER, 404),
    ):
        client.force_login(world.by_role[role])
        assert client.get(reverse("visits:workload")).status_code == status, role


def test_a_households_visits_go_with_it_to_another_grid(client, world):
    from gongzhi.registry.services import household_move

    client.force_login(world.grid_worker_a)
    _post(client, world.household_a1, notes="搬走前的走访")
    household_move(
        actor=None, household=world.household_a1, building=world.building_a2, unit="3", room="301"
    )
    client.force_login(world.grid_worker_b)
    body = client.get(reverse("visits:household", args=[world.household_a1.pk])).content.decode()
    assert "搬走前的走访" in body
    client.force_login(world.grid_worker_a)  # no longer in their grid; their own list keeps it
    assert client.get(reverse("visits:household", args=[world.household_a1.pk])).status_code == 404
    assert "搬走前的走访" in client.get(reverse("visits:mine")).content.decode()
