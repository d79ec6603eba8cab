"""The demo's supplies and spaces: each community has a store of 15 items with movements,
two below minimum and one expiring, quantities equal to their movements, and spaces."""

from django.db.models import Sum

from gongzhi.accounts.models import User
from gongzhi.emergency import supplies
from gongzhi.emergency.models import Space, StockMovement, SupplyItem
from gongzhi.emergency.modes import mode_of
from gongzhi.emergency.supply_selectors import item_list_for, space_list_for


def test_each_community_has_a_store_with_warnings_and_spaces(demo):
    for slug in ("yuling", "qifu", "tielu"):
        secretary = User.objects.get(username=f"{slug}-secretary")
        community = secretary.memberships.filter(role="secretary").first().area
        items = item_list_for(user=secretary).filter(area=community)
        assert items.count() == 15, slug
        assert supplies.items_below_minimum([community.path]).count() == 2, slug
        assert supplies.items_expiring([community.path]).count() == 1, slug
        kinds = set(space_list_for(user=secretary).values_list("kind", flat=True))
        assert {"isolation", "assembly", "sampling", "store"} <= kinds, slug
        assert not mode_of(community.path).emergency


def test_every_quantity_is_the_sum_of_its_movements(demo):
    sums = dict(
        StockMovement.objects.values("item").annotate(s=Sum("delta")).values_list("item", "s")
    )
    for pk, quantity in SupplyItem.objects.values_list("pk", "quantity"):
        assert sums.get(pk, 0) == quantity
    assert SupplyItem.objects.filter(quantity__lt=0).count() == 0
    transfers = StockMovement.objects.filter(kind="transfer_out")
    assert transfers.exists() and not transfers.filter(counterpart=None).exists()
    assert Space.objects.filter(occupied__gt=0).exists()
