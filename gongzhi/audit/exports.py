"""The audit log's download (see `gongzhi.web.exports`); downloading it is audited too."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.policy import Perm
from gongzhi.audit import vocabulary
from gongzhi.web.exports import Column, Export, Sensitivity, export_response

__all__ = ["AUDIT_LOG", "export_response"]

AUDIT_LOG: Export[Any] = Export(
    name="audit.log",
    filename=_("audit log"),
    object_type="audit.auditentry",
    sensitivity=Sensitivity.PERSONAL,  # who did what, from which address
    scope_perms=(Perm.AUDIT_VIEW,),
    batch=2000,
    columns=(
        Column("#", lambda e: e.seq),
        Column(_("Time"), lambda e: e.at),
        Column(_("User"), lambda e: e.actor_name),
        Column(_("Action"), lambda e: vocabulary.action_label(e.action)),
        Column(_("Action code"), lambda e: e.action),
        Column(_("Object"), lambda e: vocabulary.object_kind_label(e.object_type)),
        Column(_("Object id"), lambda e: e.object_id),
        Column(
            _("Label"),
            lambda e: vocabulary.object_text(
                action=e.action,
                object_type=e.object_type,
                object_id=e.object_id,
                object_label=e.object_label,
            ),
        ),
        Column(_("Fields"), lambda e: vocabulary.fields_text(e.object_type, e.fields)),
        Column(_("Purpose"), lambda e: vocabulary.purpose_text(e.purpose, e.action)),
        Column(_("From"), lambda e: e.ip),
        Column(_("Via"), lambda e: e.via),
        Column(_("Hash"), lambda e: e.hash),
    ),
)
