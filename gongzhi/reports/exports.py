"""Downloads of the report templates and of the filled reports' history (see
`gongzhi.web.exports`). A filled report itself is a file made in the worker; its download
is `services.report_download`, audited there."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.policy import Perm
from gongzhi.reports import catalogue
from gongzhi.web.exports import Column, Export, Sensitivity, export_response, requested_format

__all__ = ["REPORTS", "TEMPLATES", "export_response", "requested_format"]


def _dataset(template: Any) -> str:
    return str(dict(catalogue.DATASET_CHOICES).get(template.dataset, template.dataset))


TEMPLATES: Export[Any] = Export(
    name="reports.templates",
    filename=_("Report templates"),
    object_type="reports.reporttemplate",
    sensitivity=Sensitivity.NONE,
    scope_perms=(Perm.REPORT_VIEW,),
    batch=500,
    columns=(
        Column(_("Template"), lambda t: t.name),
        Column(_("Department"), lambda t: t.department),
        Column(_("Area"), lambda t: t.area.name),
        Column(_("Filled from"), _dataset),
        Column(_("Schedule"), lambda t: t.get_schedule_display()),
        Column(_("Next filling"), lambda t: t.next_run_at),
        Column(_("File"), lambda t: t.filename),
        Column(_("Ready-made"), lambda t: gettext("yes") if t.builtin else ""),
        Column(_("Version"), lambda t: t.version),
    ),
)

REPORTS: Export[Any] = Export(
    name="reports.history",
    filename=_("Reports"),
    object_type="reports.report",
    sensitivity=Sensitivity.NONE,
    scope_perms=(Perm.REPORT_VIEW,),
    batch=500,
    columns=(
        Column(_("Report"), lambda r: r.template.name),
        Column(_("Department"), lambda r: r.template.department),
        Column(_("Area"), lambda r: r.area.name),
        Column(_("As of"), lambda r: r.as_of),
        Column(_("Status"), lambda r: r.get_status_display()),
        Column(_("Trigger"), lambda r: r.get_trigger_display()),
        Column(_("Rows"), lambda r: r.rows),
        Column(_("Requested by"), lambda r: str(r.requested_by or "")),
        Column(_("Filled at"), lambda r: r.filled_at),
    ),
)
