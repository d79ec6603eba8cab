"""What every workbench page needs: the user's roles and which sections they may open."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest

from gongzhi.accounts import access
from gongzhi.accounts.models import Role
from gongzhi.accounts.policy import Perm
from gongzhi.registry.selectors import area_names_by_id


def workbench(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def roles() -> list[dict[str, str]]:
        """`[{"role": "网格员", "area": "第一网格"}, …]`, computed only if a page shows it."""
        grants = access.grants(user)
        names = area_names_by_id({g.area_id for g in grants})
        order = {value: index for index, value in enumerate(Role.values)}
        return [
            {"role": str(Role(g.role).label), "area": names.get(g.area_id, "")}
            for g in sorted(grants, key=lambda g: (order.get(g.role, 99), g.path))
            if g.role in order
        ]

    @cache
    def role_names() -> list[str]:
        """Each role once (a street officer of three streets is one street officer)."""
        return list(dict.fromkeys(r["role"] for r in roles()))

    return {
        "user_role_names": role_names,
        "nav": {
            "areas": access.can(user, Perm.AREA_VIEW),
            "register": access.can(user, Perm.REGISTER_VIEW),
            "register_edit": access.can(user, Perm.REGISTER_EDIT),
            "audit": access.can(user, Perm.AUDIT_VIEW),
            "outbox": access.can(user, Perm.NOTIFICATION_OUTBOX),
            "orders": access.can(user, Perm.WORKORDER_VIEW),
            "tasks": access.can(user, Perm.WORKORDER_HANDLE),
            "watchlist": access.can(user, Perm.WATCHLIST_FOLLOW_UP)
            or access.can(user, Perm.WATCHLIST_UPLOAD),
            "declarations": access.can(user, Perm.WATCHLIST_FOLLOW_UP),
            "health_sessions": access.can(user, Perm.HEALTH_RECORD),
            "health_tests": access.can(user, Perm.HEALTH_RECORD),
            "health_status": access.can(user, Perm.HEALTH_STATUS_VIEW),
            "health_trace": access.can(user, Perm.CONTACT_TRACE),
            "venues": "venues"
            if access.can(user, Perm.VENUE_MANAGE)
            else "trace"
            if access.can(user, Perm.CONTACT_TRACE)
            else "",
            "reports": access.can(user, Perm.REPORT_VIEW),
            "visits": access.can(user, Perm.VISIT_LOG),
            "outreach": access.can(user, Perm.OUTREACH_VIEW),
            "emergency_modes": access.can(user, Perm.EMERGENCY_VIEW),
            "emergency_drills": access.can(user, Perm.EMERGENCY_VIEW),
            "emergency_lessons": access.can(user, Perm.EMERGENCY_VIEW),
            "emergency_supplies": access.can(user, Perm.EMERGENCY_VIEW),
            "emergency_spaces": access.can(user, Perm.EMERGENCY_VIEW),
            "deliveries": access.can(user, Perm.DELIVERY_RUN),
            "emergency_care": access.can(user, Perm.TEAM_CARE),
            "notices": access.can(user, Perm.NOTICE_PUBLISH),
            "volunteers": access.can(user, Perm.VOLUNTEERS_MANAGE),
            "proxies": access.can(user, Perm.PROXY_CONFIRM),
            "accounts": access.can(user, Perm.ACCOUNTS_MANAGE),
            "proposals": access.can(user, Perm.PROPOSAL_MANAGE),
            # The points square's pages, under one menu.
            "points_review": access.can(user, Perm.PROOF_REVIEW),
            "points_activities": access.can(user, Perm.ACTIVITY_MANAGE),
            "points_rewards": "catalogue"
            if access.can(user, Perm.REWARDS_MANAGE)
            else "exchange"
            if access.can(user, Perm.REWARDS_HAND_OUT)
            else "",
            "points_rankings": access.can(user, Perm.POINTS_VIEW),
            "emergency_plans": access.can(user, Perm.EMERGENCY_VIEW),
            "screen": access.can(user, Perm.EMERGENCY_VIEW),
        },
        "user_roles": roles,
    }
