"""Moving a grid carries every copy of its paths in other apps' tables (work orders: the
place and the level that handles it; pairings …), so those who hold the grid keep seeing
them; the audit log keeps the paths it recorded."""

from gongzhi.accounts.policy import Perm
from gongzhi.audit.models import AuditEntry
from gongzhi.registry import services
from gongzhi.registry.models import Area
from gongzhi.workorders.models import WorkOrder
from gongzhi.workorders.tests.factories import People, new_order


def test_a_moved_grid_takes_its_work_orders_along(world):
    order = new_order(People.of(world))
    old_grid_path = world.grid_a1.path
    assert order.area_path.startswith(old_grid_path)
    entries_before = list(
        AuditEntry.objects.filter(area_path__startswith=old_grid_path).values_list(
            "seq", "area_path"
        )
    )

    services.area_move(actor=world.secretary, area=world.grid_a1, parent=world.grid_a2)

    grid = Area.objects.get(pk=world.grid_a1.pk)
    order.refresh_from_db()
    assert order.area_path.startswith(grid.path)
    assert not order.level_path.startswith(old_grid_path)
    assert (
        WorkOrder.objects.restrict(world.grid_worker_a, Perm.WORKORDER_VIEW)
        .filter(pk=order.pk)
        .exists()
    )
    # the audit log is append-only: what it recorded stays as it was
    assert entries_before and all(
        AuditEntry.objects.get(seq=seq).area_path == path for seq, path in entries_before
    )
