"""The demo's past supply run: lists of two buildings, one by proxy, delivered, received
and rated; the community left in normal mode."""

from types import SimpleNamespace

from gongzhi.accounts.models import Role
from gongzhi.accounts.services import membership_grant, user_create
from gongzhi.demo import emergency_shopping
from gongzhi.emergency.models import ModeState, ShoppingList, SupplyRun
from gongzhi.emergency.modes import mode_of
from gongzhi.emergency.tests.shopping_factories import _default_categories  # noqa: F401
from gongzhi.registry import services
from gongzhi.testing import make_id_number
from gongzhi.workorders.states import Status

NAMES = ("陈一", "林二", "周三", "吴四", "郑五", "孙六")


def _fill(building, count, first):
    for n in range(count):
        household = services.household_create(
            actor=None, building=building, unit="2", room=f"{n + 1}01"
        )
        services.person_create(
            actor=None, household=household,
            data={"name": NAMES[first + n], "id_number": make_id_number(), "relation": "head"},
        )  # fmt: skip


def test_the_demo_leaves_a_past_run_delivered_and_rated_in_normal_mode(world, monkeypatch):
    _fill(world.building_a1, 3, 0)
    _fill(world.building_a2, 3, 3)
    volunteer = user_create(username="qifu-volunteer", password="x" * 12)
    membership_grant(user=volunteer, area=world.community_a, role=Role.VOLUNTEER)
    spec = SimpleNamespace(slug="qifu", name="启福社区")
    loaded = SimpleNamespace(plan=SimpleNamespace(spec=spec), community=world.community_a)

    emergency_shopping.load([loaded], seed=1, say=lambda _text: None)

    run = SupplyRun.objects.get()
    assert run.status == "done" and run.workorder.status == Status.RESOLVED
    lists = ShoppingList.objects.all()
    assert lists.count() == 9
    assert {s.area_path for s in lists} == {world.building_a1.path, world.building_a2.path}
    assert set(lists.values_list("status", flat=True)) == {"received"}
    assert lists.filter(by_proxy=True).count() == 1
    assert lists.filter(workorder__status=Status.CLOSED).count() >= 7
    assert not mode_of(world.community_a.path).emergency
    assert not ModeState.objects.exists()

    monkeypatch.setattr(
        "gongzhi.demo.spec.COMMUNITIES", [SimpleNamespace(code=world.community_a.code)]
    )
    emergency_shopping.unload(say=lambda _text: None)
    assert not ShoppingList.objects.exists() and not SupplyRun.objects.exists()
