"""Rankings over REST.

    GET /points/rankings   a community's or grid's ranking for a month or a year
                           (?area=, ?period=2026-03|2026, ?top=): volunteers, party members
                           and residents ranked apart

Staff only (points.view on the node); the rule is `points.rankings`'s, stated in `rule`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.api_schemas import ERRORS, Clean, Id
from gongzhi.core.errors import NotFound
from gongzhi.points import rankings
from gongzhi.points.rankings import Place, Ranking

router = Router(tags=["points"])


class RankingQueryIn(Clean):
    area: Id | None = Field(None, description="a community or grid; default: the caller's first")
    period: str = Field("", max_length=7, description="2026-03 (a month) or 2026 (a year)")
    top: int = Field(rankings.TOP_DEFAULT, ge=1, le=rankings.TOP_MAX)


class PlaceOut(Schema):
    place: int = Field(description="equal scores share a place: 1, 2, 2, 4")
    holder_id: int
    name: str
    points: int
    hours: Decimal


class RankingAreaOut(Schema):
    id: int
    name: str
    kind: str


class RankingOut(Schema):
    area: RankingAreaOut
    period: str
    top: int
    rule: str
    volunteers: list[PlaceOut]
    party_members: list[PlaceOut]
    residents: list[PlaceOut]


def _places(places: list[Place]) -> list[dict[str, Any]]:
    return [
        {"place": p.place, "holder_id": p.holder_id, "name": p.name, "points": p.points,
         "hours": p.hours}
        for p in places
    ]  # fmt: skip


def _out(ranking: Ranking) -> dict[str, Any]:
    lists = ranking.lists
    return {
        "area": {"id": ranking.area.pk, "name": ranking.area.name, "kind": ranking.area.kind},
        "period": ranking.period.key,
        "top": ranking.top,
        "rule": _(
            "Points of awards and adjustments (and their reversals) earned in the period in "
            "the area; redemptions and expiry do not count. Equal scores share a place; within "
            "it, whoever reached the score first (their last counted entry), then account id."
        ),
        "volunteers": _places(lists.get("volunteer", [])),
        "party_members": _places(lists.get("party_member", [])),
        "residents": _places(lists.get("resident", [])),
    }


@router.get(
    "/points/rankings",
    response={200: RankingOut, **ERRORS},
    operation_id="points_ranking_get",
    url_name="points_ranking_get",
)
def points_ranking_get(request: SignedInRequest, query: Query[RankingQueryIn]) -> Any:
    """The ranking of a community or grid where the caller holds points.view (404 elsewhere)
    for a month or a year: top N of each list with points and service hours."""
    user = request.user
    if query.area is not None:
        area = rankings.ranking_node_get_for(user=user, area_id=query.area)
    else:
        nodes = rankings.ranking_nodes_for(user=user)
        if not nodes:
            raise NotFound()
        area = nodes[0]
    period = rankings.period_parse(query.period)
    return _out(rankings.ranking_for(user=user, area=area, period=period, top=query.top))
