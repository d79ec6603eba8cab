"""Reads of rewards (能量仓) and vouchers, each scoped: the catalogue a holder may redeem
from, the catalogue staff keep, one's own vouchers, and the exchange point's history."""

from __future__ import annotations

from django.db.models import QuerySet

from gongzhi.accounts import access
from gongzhi.accounts.models import User
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.selectors import proxy_link_for
from gongzhi.core import scope
from gongzhi.core.errors import NotFound
from gongzhi.points.models import Redemption, Reward
from gongzhi.points.rewards import places_of
from gongzhi.registry.models import Area, AreaKind


def communities_of(user: User) -> set[str]:
    """The paths of every node above or at the user's places: a reward's community is one
    of them exactly when the user lives or serves inside it."""
    return {a for place in places_of(user) for a in scope.ancestors(place, inclusive=True)}


def catalogue_for(*, holder: User) -> QuerySet[Reward]:
    """The rewards the holder may redeem: active, of the communities they belong to."""
    return Reward.objects.filter(area_path__in=communities_of(holder), active=True).select_related(
        "community"
    )


def reward_to_redeem(*, holder: User, reward_id: int) -> Reward:
    """An active reward of the holder's community, else 404."""
    found = catalogue_for(holder=holder).filter(pk=reward_id).first()
    if found is None:
        raise NotFound()
    return found


def reward_list_for(*, user: User) -> QuerySet[Reward]:
    """The catalogue staff keep: rewards where the user holds rewards.manage."""
    return Reward.objects.restrict(user, Perm.REWARDS_MANAGE).select_related("community")


def reward_get_for(*, user: User, reward_id: int) -> Reward:
    found = reward_list_for(user=user).filter(pk=reward_id).first()
    if found is None:
        raise NotFound()
    return found


def holder_of_person(person_id: int | None) -> User | None:
    """The account that holds the points of a register person (their own), if any."""
    if not person_id:
        return None
    return User.objects.filter(person_id=person_id, is_active=True).order_by("pk").first()


def vouchers_of(*, holder: User) -> QuerySet[Redemption]:
    """A holder's vouchers, newest first."""
    return (
        Redemption.objects.filter(holder=holder)
        .select_related("reward", "reward__community")
        .order_by("-created_at", "-pk")
    )


def voucher_get_own(*, user: User, redemption_id: int) -> Redemption:
    """One of the user's own vouchers, or of a person they act for; else 404."""
    found = Redemption.objects.select_related("reward", "holder").filter(pk=redemption_id).first()
    if found is None:
        raise NotFound()
    if found.holder_id == user.pk:
        return found
    person_id = found.holder.person_id
    if person_id and proxy_link_for(user, person_id) is not None:
        return found
    raise NotFound()


def handed_out_for(*, user: User) -> QuerySet[Redemption]:
    """The vouchers of the communities where the user hands rewards out (a grid worker's
    community included), newest first."""
    return (
        Redemption.objects.restrict(user, Perm.REWARDS_HAND_OUT, overlapping=True)
        .select_related("reward", "handed_over_by")
        .order_by("-created_at", "-pk")
    )


def manageable_communities_for(*, user: User) -> list[Area]:
    """The communities whose catalogue the user keeps (rewards.manage on or above them)."""
    held = access.paths(user, Perm.REWARDS_MANAGE)
    if not held:
        return []
    found = Area.objects.filter(kind=AreaKind.COMMUNITY).overlapping(*held).order_by("path")
    return [c for c in found if access.can(user, Perm.REWARDS_MANAGE, c.path)]


def manageable_community_get(*, user: User, area_id: object) -> Area | None:
    """One of those communities by id, or None."""
    try:
        wanted = int(str(area_id))
    except (TypeError, ValueError):
        return None
    return next((c for c in manageable_communities_for(user=user) if c.pk == wanted), None)
