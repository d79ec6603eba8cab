"""Reads of report templates and reports, through the viewer's scope.

- A template is visible to holders of `report.view` whose area overlaps the template's:
  above it (a street officer sees a community's templates) or inside it (a grid worker
  fills the community's template for their own grid).
- A report is visible to holders of `report.view` on the area it covers.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.core import scope
from gongzhi.core.errors import NotFound
from gongzhi.registry.models import Area
from gongzhi.reports.models import Report, ReportTemplate


def _prefixes(path: str) -> list[str]:
    return [path[:i] for i in range(scope.STEP, len(path) + 1, scope.STEP)]


def _overlapping(paths: list[str]) -> Q:
    above = {p for path in paths for p in _prefixes(path)}
    return scope.q_within("area_path", paths) | Q(area_path__in=above)


def template_list_for(*, user: Any) -> QuerySet[ReportTemplate]:
    paths = access.paths(user, Perm.REPORT_VIEW)
    if not paths:
        return ReportTemplate.objects.none()
    return (
        ReportTemplate.objects.filter(_overlapping(paths), is_active=True)
        .select_related("area")
        .order_by("area_path", "name", "pk")
    )


def template_get_for(*, user: Any, template_id: Any) -> ReportTemplate:
    try:
        template = ReportTemplate.objects.select_related("area", "schedule_owner").get(
            pk=int(template_id), is_active=True
        )
    except (ReportTemplate.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None
    paths = access.paths(user, Perm.REPORT_VIEW)
    visible = any(
        p.startswith(template.area_path) or template.area_path.startswith(p) for p in paths
    )
    if not visible:
        raise NotFound()
    return template


def fill_area_choices_for(*, user: Any, template: ReportTemplate) -> list[Area]:
    """The areas the user may fill this template for: the template's area when they hold
    report.view there, else their own areas inside it."""
    paths = access.paths(user, Perm.REPORT_VIEW)
    if scope.within(template.area_path, paths):
        wanted = [template.area_path]
    else:
        wanted = [p for p in paths if p.startswith(template.area_path)]
    return list(Area.objects.filter(path__in=wanted).order_by("path"))


def report_list_for(*, user: Any, template: ReportTemplate | None = None) -> QuerySet[Report]:
    reports = access.restrict(Report.objects.all(), user, Perm.REPORT_VIEW, "area_path")
    if template is not None:
        reports = reports.filter(template=template)
    return reports.select_related("template", "area", "requested_by").order_by("-created_at", "-pk")


def report_get_for(*, user: Any, report_id: Any) -> Report:
    try:
        report = Report.objects.select_related("template", "area", "requested_by").get(
            pk=int(report_id)
        )
    except (Report.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None
    if not access.can(user, Perm.REPORT_VIEW, report.area_path):
        raise NotFound()
    return report
