"""The work-order inbox (issue 12 §5): counts on tabs, the next deadline first with the
time left, one link per order, the bulk bar only for ticked orders, communities named for
the street, usable at phone width."""

import datetime as dt
import re

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from gongzhi.core import clock
from gongzhi.workorders import filing
from gongzhi.workorders.models import WorkOrder
from gongzhi.workorders.rules import time_left
from gongzhi.workorders.states import Status
from gongzhi.workorders.tests.factories import category, new_order, order_in


def _client(user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def _numbers(html: str) -> list[str]:
    return re.findall(r'class="fw-medium">(GZ\d+)</a>', html)


def test_tabs_show_how_many_orders_each_holds(people):
    new_order(people)
    new_order(people)
    order_in(people, Status.DISPATCHED)
    html = _client(people.grid_worker).get(reverse("workorders:inbox")).content.decode()

    def count(tab: str) -> int:
        found = re.search(rf'data-tab="{tab}">[^<]*<span[^>]*>(\d+)</span>', html)
        assert found, tab
        return int(found.group(1))

    assert (count("waiting"), count("dispatched"), count("all"), count("closed")) == (2, 1, 3, 0)


def test_the_inbox_lists_the_soonest_deadline_first_overdue_on_top(people):
    now = clock.now()
    later, soon, late = new_order(people), new_order(people), new_order(people)
    WorkOrder.objects.filter(pk=later.pk).update(due_at=now + dt.timedelta(days=2))
    WorkOrder.objects.filter(pk=soon.pk).update(due_at=now + dt.timedelta(hours=3, minutes=5))
    WorkOrder.objects.filter(pk=late.pk).update(due_at=now - dt.timedelta(days=2, hours=1))

    html = _client(people.grid_worker).get(reverse("workorders:inbox")).content.decode()

    assert _numbers(html) == [late.number, soon.number, later.number]
    assert "2 days overdue" in html and "3 hours left" in html


@translation.override("en")
def test_time_left_is_said_in_the_largest_whole_unit():
    now = clock.now()
    assert time_left(now + dt.timedelta(hours=3, minutes=59), now) == "3 hours left"
    assert time_left(now - dt.timedelta(days=2, hours=5), now) == "2 days overdue"
    assert time_left(now + dt.timedelta(seconds=20), now) == "1 minute left"
    assert time_left(None, now) == ""


def test_each_order_is_linked_once(people):
    order = new_order(people)
    html = _client(people.grid_worker).get(reverse("workorders:inbox")).content.decode()
    assert html.count(reverse("workorders:detail", args=[order.pk])) == 1
    # The page's own links are not repeated either.
    assert html.count(f'href="{reverse("workorders:create")}"') == 1


def test_the_bulk_bar_is_hidden_until_an_order_is_ticked(people, world):
    new_order(people)
    html = _client(people.grid_worker).get(reverse("workorders:inbox")).content.decode()
    assert 'class="card inbox-card"' in html and "bulk-bar" in html
    css = (settings.BASE_DIR / "gongzhi/workorders/static/workorders/workorders.css").read_text()
    assert '.inbox-card:not(:has(input[name="orders"]:checked)) .bulk-bar' in css


def test_the_street_officer_sees_which_community_a_grid_belongs_to(people, world):
    new_order(people)
    filing.workorder_create(
        actor=None, category=category(), description="江边社区的工单", place=world.building_b1
    )
    street = _client(people.street).get(reverse("workorders:inbox"), {"tab": "all"})
    html = street.content.decode()
    assert "玉岭社区 · 第一网格" in html and "江边社区 · 江边一网格" in html
    # The grid filter names them the same way.
    assert ">玉岭社区 · 第一网格</option>" in html

    worker = _client(people.grid_worker).get(reverse("workorders:inbox"), {"tab": "all"})
    assert "玉岭社区 · " not in worker.content.decode()  # one community: the grid's name


def test_at_phone_width_each_row_carries_its_labels(people):
    new_order(people)
    html = _client(people.grid_worker).get(reverse("workorders:inbox")).content.decode()
    assert 'data-label="Time left"' in html and 'class="order-row' in html
    css = (settings.BASE_DIR / "gongzhi/workorders/static/workorders/workorders.css").read_text()
    assert "@media (max-width: 767.98px)" in css and ".orders-table thead { display: none; }" in css


def test_time_left_in_chinese_reads_as_the_issue_asks():
    now = clock.now()
    with translation.override("zh-hans"):
        assert time_left(now + dt.timedelta(hours=3, minutes=1), now) == "剩余 3 小时"
        assert time_left(now - dt.timedelta(days=2, hours=1), now) == "已超时 2 天"
