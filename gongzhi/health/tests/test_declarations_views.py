"""Arrival declarations over HTTP: the public form behind the QR link (no sign-in, a phone
code; prefilled when signed in; a proxy for a parent), and the workbench's pages."""

import re

import pytest
from django.test import Client, override_settings

from gongzhi.accounts import acting
from gongzhi.accounts.services import (
    proxy_link_create,
    user_create,
    user_link_person,
    user_set_phone,
)
from gongzhi.health import declarations
from gongzhi.health.models import Declaration
from gongzhi.health.tests import declaration_factories as d
from gongzhi.registry.models import Person
from gongzhi.testing import PASSWORD


@pytest.fixture(autouse=True)
def _codes_and_language(settings):
    settings.GONGZHI_SMS_CODE_PER_PHONE_MINUTE = 50
    settings.LANGUAGE_CODE = "zh-hans"


def _url(world, community=None, suffix=""):
    key = declarations.community_key(community or world.community_a)
    return f"/m/declare/{key}/{suffix}"


def _post(world, data, **extra):
    body = {k: v for k, v in data.items() if k != "symptoms"}
    body["symptoms"] = data["symptoms"]
    body.update(extra)
    return body


# --- the public form -------------------------------------------------------------------------


def test_anyone_opens_the_form_without_signing_in(world, client):
    response = client.get(_url(world))
    assert response.status_code == 200
    body = response.content.decode()
    assert world.community_a.name in body
    assert f'value="{world.building_a1.pk}"' in body
    assert f'value="{world.building_b1.pk}"' not in body  # another community's building


@pytest.mark.parametrize("suffix", ["", "code/", "done/"])
def test_a_forged_key_is_not_found(world, client, suffix):
    key = declarations.community_key(world.community_a)
    forged = f"{world.community_b.pk}:{key.split(':', 1)[1]}"
    method = client.post if suffix == "code/" else client.get
    assert method(f"/m/declare/{forged}/{suffix}").status_code == 404
    assert client.post(f"/m/declare/{forged}/").status_code == 404


def test_a_stranger_declares_with_a_code(world, client):
    data = d.form_data(world)
    response = client.post(_url(world, suffix="code/"), _post(world, data))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="1-301"' in body  # the form comes back as it was typed
    response = client.post(_url(world), _post(world, data, code=d.last_code()))
    assert response.status_code == 302 and response["Location"] == _url(world, suffix="done/")
    declaration = Declaration.objects.get()
    assert declaration.status == "pending_person" and declaration.declared_by is None
    assert client.get(response["Location"]).status_code == 200


def test_a_wrong_code_is_shown_on_the_code_field_in_chinese(world, client):
    data = d.form_data(world)
    client.post(_url(world, suffix="code/"), _post(world, data))
    wrong = f"{(int(d.last_code()) + 1) % 1_000_000:06d}"
    response = client.post(_url(world), _post(world, data, code=wrong))
    assert response.status_code == 200
    body = response.content.decode()
    assert "验证码" in body and 'id="id_code-errors"' in body
    assert not Declaration.objects.exists()


def test_an_impossible_date_is_named_in_chinese(world, client):
    data = d.form_data(world, arrived_on="2999-01-01")
    response = client.post(_url(world), _post(world, data, code="123456"))
    body = response.content.decode()
    assert 'id="id_arrived_on-errors"' in body and "未来" in body
    assert not Declaration.objects.exists()


def test_a_building_of_another_community_is_named(world, client):
    data = d.form_data(world, building=world.building_b1.pk)
    body = client.post(_url(world), _post(world, data, code="123456")).content.decode()
    assert "不属于本社区" in body
    assert not Declaration.objects.exists()


def test_elder_mode_works_without_signing_in(world, client):
    body = client.get(_url(world) + "?elder=1").content.decode()
    assert 'class="portal elder"' in body


# --- signed in ---------------------------------------------------------------------------------


@pytest.fixture
def resident(world):
    user = world.resident
    user_set_phone(user=user, phone=world.person_a1.phone.reveal())
    user_link_person(user=user, person=world.person_a1)
    return user


def test_a_signed_in_resident_finds_the_form_prefilled(world, client, resident):
    client.force_login(resident)
    body = client.get(_url(world)).content.decode()
    assert f'value="{world.person_a1.name}"' in body
    assert f'value="{world.person_a1.phone.reveal()}"' in body
    assert re.search(rf'<option value="{world.building_a1.pk}"[^>]*selected', body)


def test_a_signed_in_resident_declares_without_a_code(world, client, resident):
    client.force_login(resident)
    response = client.post(_url(world), _post(world, d.person_data(world, world.person_a1)))
    assert response.status_code == 302
    declaration = Declaration.objects.get()
    assert declaration.declared_by == resident and declaration.person == world.person_a1


def test_my_declaration_link_goes_to_my_community(world, client, resident):
    client.force_login(resident)
    response = client.get("/m/declare/")
    assert response.status_code == 302 and response["Location"] == _url(world)


def test_my_declaration_link_explains_without_a_household(world, client):
    client.force_login(world.secretary)
    assert client.get("/m/declare/").status_code == 200


def test_my_declaration_link_needs_signing_in(world, client):
    response = client.get("/m/declare/")
    assert response.status_code == 302 and "/m/login/" in response["Location"]


@pytest.fixture
def child(world):
    user = user_create(username="child", password=PASSWORD)
    proxy_link_create(user=user, person=world.person_a2, relation="child")
    return user


def _acting(client, person):
    session = client.session
    session[acting.SESSION_KEY] = person.pk
    session.save()


def test_a_proxy_declares_for_the_parent(world, client, child):
    client.force_login(child)
    _acting(client, world.person_a2)
    body = client.get(_url(world)).content.decode()
    assert f'name="for_person" value="{world.person_a2.pk}"' in body
    assert f'value="{world.person_a2.name}"' in body
    response = client.post(
        _url(world),
        _post(world, d.person_data(world, world.person_a2), for_person=world.person_a2.pk),
    )
    assert response.status_code == 302
    declaration = Declaration.objects.get()
    assert declaration.by_proxy and declaration.person == world.person_a2


def test_a_forged_proxy_claim_is_refused_on_the_page(world, client, child):
    client.force_login(child)
    stranger = world.person_a1
    response = client.post(
        _url(world), _post(world, d.person_data(world, stranger), for_person=stranger.pk)
    )
    assert response.status_code == 200
    assert "代为登记" in response.content.decode()
    assert not Declaration.objects.exists()


# --- the workbench -----------------------------------------------------------------------------


@pytest.fixture
def pending(world):
    with override_settings(GONGZHI_SMS_CODE_PER_PHONE_MINUTE=50):
        return d.declare(world, d.form_data(world))


def test_the_grid_worker_sees_declarations_masked(world, pending):
    client = Client()
    client.force_login(world.grid_worker_a)
    body = client.get("/health/declarations/?status=pending_person").content.decode()
    assert f"/health/declarations/{pending.pk}/" in body
    assert d.PHONE not in body and pending.id_number.reveal() not in body
    assert str(pending.phone) in body


def test_another_grid_worker_does_not_see_it(world, pending):
    client = Client()
    client.force_login(world.grid_worker_b)
    body = client.get("/health/declarations/").content.decode()
    assert f"/health/declarations/{pending.pk}/" not in body
    assert client.get(f"/health/declarations/{pending.pk}/").status_code == 404


def test_the_grid_worker_registers_the_declared_person(world, pending):
    client = Client()
    client.force_login(world.grid_worker_a)
    page = client.get(f"/health/declarations/{pending.pk}/").content.decode()
    assert 'name="action"' in page
    response = client.post(f"/health/declarations/{pending.pk}/confirm/", {"action": "create"})
    assert response.status_code == 302
    assert Person.objects.filter(name="陈归乡").exists()
    pending.refresh_from_db()
    assert pending.status == "matched"


def test_a_confirmation_without_a_choice_is_a_form_error(world, pending):
    client = Client()
    client.force_login(world.grid_worker_a)
    response = client.post(f"/health/declarations/{pending.pk}/confirm/", {"action": "link"})
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == "pending_person"


def test_the_poster_holds_the_communitys_link(world):
    client = Client()
    client.force_login(world.grid_worker_a)
    response = client.get(f"/health/declarations/poster/{world.community_a.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and _url(world) in body
    assert client.get(f"/health/declarations/poster/{world.community_b.pk}/").status_code == 404


def test_a_resident_has_no_workbench_page(world):
    client = Client()
    client.force_login(world.resident)
    assert client.get("/health/declarations/").status_code == 404


def test_elder_mode_stays_on_through_the_posts(world, client):
    data = d.form_data(world)
    body = client.post(_url(world, suffix="code/") + "?elder=1", _post(world, data)).content
    assert 'class="portal elder"' in body.decode()
    response = client.post(_url(world) + "?elder=1", _post(world, data, code=d.last_code()))
    assert response["Location"].endswith("done/?elder=1")


def test_the_grid_worker_reads_the_declared_room(world, pending):
    client = Client()
    client.force_login(world.grid_worker_a)
    assert "1-301" in client.get(f"/health/declarations/{pending.pk}/").content.decode()
