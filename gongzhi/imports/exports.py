"""Downloads of the imports list, of an import's rows (what the check found or the import
did: field names and rules, no values) and of its problem rows as in the file (ID numbers
and phones masked by `services.import_error_report`). See `gongzhi.web.exports`."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.policy import Perm
from gongzhi.web.exports import (
    EXPORT_FORMATS,
    Column,
    Export,
    Sensitivity,
    export_response,
    requested_format,
)

__all__ = [
    "EXPORT_FORMATS",
    "IMPORTS",
    "IMPORT_PROBLEMS",
    "IMPORT_ROWS",
    "export_response",
    "requested_format",
]

IMPORTS: Export[Any] = Export(
    name="imports.list",
    filename=_("imports"),
    object_type="imports.importbatch",
    sensitivity=Sensitivity.NONE,
    scope_perms=(Perm.IMPORT_RUN,),
    batch=500,
    columns=(
        Column("#", lambda b: b.pk),
        Column(_("File"), lambda b: b.filename),
        Column(_("Community"), lambda b: b.community.name),
        Column(_("Status"), lambda b: b.get_status_display()),
        Column(_("Uploaded by"), lambda b: str(b.created_by)),
        Column(_("Uploaded at"), lambda b: b.created_at),
        Column(_("Rows"), lambda b: b.rows_total),
        Column(_("New"), lambda b: b.rows_created),
        Column(_("Updated"), lambda b: b.rows_updated),
        Column(_("Unchanged"), lambda b: b.rows_unchanged),
        Column(_("Problems"), lambda b: b.rows_failed),
        Column("SHA-256", lambda b: b.sha256),
    ),
)

IMPORT_ROWS: Export[Any] = Export(
    name="imports.rows",
    filename=_("rows"),
    object_type="imports.importbatch",
    sensitivity=Sensitivity.NONE,
    scope_perms=(Perm.IMPORT_RUN,),
    columns=(
        Column(_("Row"), lambda r: r["row"]),
        Column(_("Outcome"), lambda r: str(r["label"])),
        Column(_("Changes"), lambda r: "、".join(r["changed"])),
        Column(
            _("Problems"),
            lambda r: "\n".join(f"{p['field']}: {p['message']}" for p in r["problems"]),
        ),
        Column(
            _("To correct"),
            lambda r: "\n".join(f"{w['field']}: {w['message']}" for w in r["warnings"]),
        ),
        Column(_("Notes"), lambda r: "\n".join(str(n["message"]) for n in r["notes"])),
        Column(_("Person"), lambda r: r["person_id"] or ""),
    ),
)

# The columns are the file's own: the header comes with the rows.
IMPORT_PROBLEMS: Export[Any] = Export(
    name="imports.problems",
    filename=_("problems"),
    object_type="imports.importbatch",
    sensitivity=Sensitivity.PERSONAL,
    scope_perms=(Perm.IMPORT_RUN,),
)
