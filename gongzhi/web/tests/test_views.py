import pytest
from django.conf import settings
from django.urls import reverse

from gongzhi.accounts.models import Role


def test_home_page_needs_sign_in(client, world):
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_home_page_is_in_chinese_by_default(client, world):
    client.force_login(world.grid_worker_a)
    body = client.get(reverse("web:home")).content.decode()
    assert '<html lang="zh-CN">' in body
    assert "户籍" in body or "住户" in body
    assert "待办" in body and "逾期未走访" in body


def test_language_switch_turns_the_workbench_english(client, world):
    client.force_login(world.grid_worker_a)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("web:home")})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    body = client.get(reverse("web:home")).content.decode()
    assert '<html lang="en">' in body
    assert "Visits overdue" in body


def test_home_page_shows_the_users_role_and_area(client, world):
    client.force_login(world.grid_worker_a)
    body = client.get(reverse("web:home")).content.decode()
    assert world.grid_a1.name in body


def test_home_page_tells_a_resident_the_workbench_is_not_for_them(client, world):
    client.force_login(world.resident)
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    assert response.context["sections"] == []
    assert reverse("registry:household_list") not in response.content.decode()


def test_not_found_from_a_selector_renders_the_404_page(client, world):
    client.force_login(world.grid_worker_a)
    response = client.get(reverse("registry:household_detail", args=[world.household_b1.pk]))
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]


def test_forbidden_from_a_view_renders_the_403_page(client, world):
    client.force_login(world.by_role["police"])
    response = client.get(reverse("registry:person_edit", args=[world.person_a1.pk]))
    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]


def test_pages_load_only_vendored_assets(client, world):
    client.force_login(world.grid_worker_a)
    body = client.get(reverse("web:home")).content.decode()
    assert "/static/vendor/tabler-1.6.1/tabler.min.css" in body
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in body
    assert "https://" not in body


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (Role.GRID_WORKER, {"health:watchlist", "reports:index", "workorders:inbox"}, set()),
        (Role.POLICE, {"health:watchlist"}, {"reports:index", "workorders:inbox"}),
        (Role.STREET_OFFICER, {"reports:index", "workorders:inbox"}, {"health:watchlist"}),
        (Role.VOLUNTEER, {"workorders:tasks"}, {"health:watchlist", "reports:index"}),
    ],
)
def test_the_menu_offers_what_the_role_may_open(client, world, role, shown, hidden):
    client.force_login(world.by_role[role])
    nav = client.get(reverse("web:home")).content.decode().split("</header>")[0]
    for name in shown:
        assert f'href="{reverse(name)}"' in nav, name
    for name in hidden:
        assert f'href="{reverse(name)}"' not in nav, name
