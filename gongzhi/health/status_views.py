"""Health statuses in the workbench (/health/status/): the area's board for staff with
`health.status` (counts per colour, the amber and red list, names masked) and the
community's status rules for staff with `health.rules` (versions; a new version with a
reason). Thin: reads from `status_selectors`, the one write through `status.rule_set_save`.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import NotFound
from gongzhi.health import status, status_rules, status_selectors
from gongzhi.health.models import StatusColor

PAGE_SIZE = 50


@requires(Perm.HEALTH_STATUS_VIEW)
@require_GET
def board(request: SignedInRequest) -> HttpResponse:
    color = request.GET.get("color", "")
    found = status_selectors.status_board_for(user=request.user, color=color)
    page = Paginator(found.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "health/status/board.html",
        {
            "counts": [(c, found.counts[c.value]) for c in status_selectors.COLORS],
            "without": found.without,
            "page_obj": page,
            "lines": status_selectors.board_lines(page.object_list),
            "color": color if color in (StatusColor.AMBER, StatusColor.RED) else "",
            "can_edit_rules": access.can(request.user, Perm.HEALTH_RULES),
            "can_see_person": access.can(request.user, Perm.REGISTER_VIEW),
        },
    )


def _vocabulary() -> list[dict[str, object]]:
    return [
        {"name": name, "params": list(params), "placeholders": sorted(
            set().union(*(v for k, v in status_rules.PLACEHOLDERS.items() if k.split(":")[0] == name))
        )}
        for name, params in status_rules.PARAMS.items()
    ]  # fmt: skip


def _value(value: object) -> str:
    return ",".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _readable(rules: list[dict[str, object]]) -> list[dict[str, object]]:
    """The rules in force as a table: each condition as `name · key=value …`."""
    out = []
    for n, rule in enumerate(rules, 1):
        when = rule.get("when") or []
        conditions = [
            " · ".join(
                [str(c.get("condition"))]
                + [f"{k}={_value(v)}" for k, v in c.items() if k != "condition"]
            )
            for c in (when if isinstance(when, list) else [when])
            if isinstance(c, dict)
        ]
        out.append({"n": n, "id": rule.get("id", ""), "color": rule.get("color", ""),
                    "conditions": conditions, "reason": rule.get("reason", "")})  # fmt: skip
    return out


@requires(Perm.HEALTH_RULES)
@require_http_methods(["GET", "POST"])
def rules(request: SignedInRequest) -> HttpResponse:
    user = request.user
    communities = list(status_selectors.rule_communities_for(user=user))
    chosen = request.POST.get("community") or request.GET.get("community")
    if chosen:
        community = status_selectors.rule_community_get_for(user=user, area_id=chosen)
    elif communities:
        community = communities[0]
    else:
        raise NotFound()
    in_force = status.rules_for_area(community)
    text = json.dumps(in_force.rules, ensure_ascii=False, indent=2)
    reason = ""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        text = request.POST.get("rules", "")
        reason = request.POST.get("reason", "")
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            errors["rules"] = [
                _("This is not valid JSON (line %(line)s, column %(col)s).")
                % {"line": getattr(exc, "lineno", "?"), "col": getattr(exc, "colno", "?")}
            ]
            parsed = None
        if not errors:
            try:
                saved = status.rule_set_save(
                    actor=user, community=community, rules=parsed, reason=reason
                )
            except ValidationError as exc:
                errors = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
            else:
                messages.success(
                    request,
                    _("Version %(version)s of the rules is in force.") % {"version": saved.version},
                )
                return redirect(f"{reverse('health_status:rules')}?community={community.pk}")
        if "reason" not in errors and not reason.strip():
            errors["reason"] = [_("Say why the rules change: the reason is kept with the version.")]
    return render(
        request,
        "health/status/rules.html",
        {
            "communities": communities,
            "community": community,
            "in_force": in_force,
            "readable": _readable(in_force.rules),
            "versions": status_selectors.rule_versions_for(user=user, community=community),
            "text": text,
            "reason": reason,
            "errors": errors,
            "vocabulary": _vocabulary(),
            "default_text": json.dumps(status_rules.DEFAULT_RULES, ensure_ascii=False, indent=2),
        },
        status=400 if errors else 200,
    )
