"""Reads of report templates and reports, through the viewer's scope.

- A template is visible to holders of `report.view` whose area overlaps the template's:
  above it (a street officer sees a community's templates) or inside it (a grid worker
  fills the community's template for their own grid).
- A report is visible to holders of `report.view` on the area it covers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.core.errors import NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.registry.models import Area
from gongzhi.reports.models import Report, ReportTemplate

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer


def template_list_for(*, user: Viewer) -> QuerySet[ReportTemplate]:
    return (
        ReportTemplate.objects.restrict(user, Perm.REPORT_VIEW, overlapping=True)
        .filter(is_active=True)
        .select_related("area")
        .order_by("area_path", "name", "pk")
    )


def template_get_for(*, user: Viewer, template_id: Any) -> ReportTemplate:
    template = get_by_id(
        ReportTemplate.objects.select_related("area", "schedule_owner"), template_id, is_active=True
    )
    if not access.overlaps(user, Perm.REPORT_VIEW, template.area_path):
        raise NotFound()
    return template


def fill_area_choices_for(*, user: Viewer, template: ReportTemplate) -> list[Area]:
    """The areas the user may fill this template for: the template's area when they hold
    report.view there, else their own areas inside it."""
    wanted = access.paths_within(user, Perm.REPORT_VIEW, template.area_path)
    return list(Area.objects.filter(path__in=wanted).order_by("path"))


def report_list_for(*, user: Viewer, template: ReportTemplate | None = None) -> QuerySet[Report]:
    reports = Report.objects.restrict(user, Perm.REPORT_VIEW)
    if template is not None:
        reports = reports.filter(template=template)
    return reports.select_related("template", "area", "requested_by").order_by("-created_at", "-pk")


def report_get_for(*, user: Viewer, report_id: Any) -> Report:
    report = get_by_id(Report.objects.select_related("template", "area", "requested_by"), report_id)
    if not access.can(user, Perm.REPORT_VIEW, report.area_path):
        raise NotFound()
    return report
