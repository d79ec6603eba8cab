"""Downloads of one's inbox (workbench and portal) and of the SMS outbox (see
`gongzhi.web.exports`)."""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects
from django.utils.translation import gettext_lazy as _

from gongzhi.notifications import services
from gongzhi.web.exports import Column, Export, ExportContext, Sensitivity, export_response

__all__ = ["INBOX", "OUTBOX", "export_response", "shown_text"]


def _with_links(batch: list[Any], context: ExportContext) -> list[Any]:
    prefetch_related_objects(batch, "actor")
    for note in batch:
        note.export_link = context.request.build_absolute_uri(note.url) if note.url else ""
    return batch


INBOX: Export[Any] = Export(
    name="notifications.inbox",
    filename=_("messages"),
    object_type="notifications.notification",
    sensitivity=Sensitivity.PERSONAL,  # one's own messages
    prepare=_with_links,
    columns=(
        Column(_("Time"), lambda n: n.created_at),
        Column(_("Title"), lambda n: n.title),
        Column(_("Message"), lambda n: n.body),
        Column(_("From"), lambda n: str(n.actor) if n.actor_id else ""),
        Column(_("Read"), lambda n: n.read_at),
        Column(_("Link"), lambda n: n.export_link),
    ),
)


def shown_text(message: Any) -> str:
    """Sign-in codes are readable only in the local gateway's outbox."""
    if message.gateway == "local" or not message.sensitive:
        return message.text
    return services.redacted(message.text)


OUTBOX: Export[Any] = Export(
    name="notifications.outbox",
    filename=_("SMS outbox"),
    object_type="notifications.smsmessage",
    sensitivity=Sensitivity.PERSONAL,  # masked numbers, message texts
    columns=(
        Column(_("Time"), lambda m: m.created_at),
        Column(_("To"), lambda m: m.to_masked),
        Column(_("Text"), shown_text),
        Column(_("Kind"), lambda m: m.kind),
        Column(_("Gateway"), lambda m: m.gateway),
        Column(_("Status"), lambda m: m.get_status_display()),
        Column(_("Provider id"), lambda m: m.provider_id),
        Column(_("Error"), lambda m: m.error),
        Column(_("Attempts"), lambda m: m.attempts),
    ),
)
