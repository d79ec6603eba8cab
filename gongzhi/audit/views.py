"""The auditor's page: the log within the auditor's area, in the reader's language, and
the chain's verification."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_POST

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit import exports, vocabulary
from gongzhi.audit.selectors import (
    audit_entries_for,
    audit_latest_verification,
    audit_object_label,
)
from gongzhi.audit.services import audit_verify
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.registry.selectors import person_search_for

if TYPE_CHECKING:
    from gongzhi.accounts.types import SignedInRequest, Viewer

PAGE_SIZE = 50
PERSON = "registry.person"
PERSON_CHOICES_SHOWN = 20
_CODE = re.compile(r"^[a-z_.]{1,64}$")


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    actor = forms.CharField(label=gettext_lazy("User"), required=False, max_length=150)
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    person = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    person_q = forms.CharField(
        label=gettext_lazy("Person acted upon"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("Name, pinyin or initials; choose the person from the results."),
    )
    object_type = forms.ChoiceField(label=gettext_lazy("Object type"), required=False)
    object_id = forms.CharField(label=gettext_lazy("Object number"), required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # A code from an older link (or an action no table names yet) stays choosable.
        asked = (self.data.get("action") or "").strip() if self.is_bound else ""
        extra = [asked] if _CODE.match(asked) else []
        action = self.fields["action"]
        assert isinstance(action, forms.ChoiceField)
        action.choices = vocabulary.action_choices(extra)
        kinds = sorted(
            ((code, vocabulary.object_kind_label(code)) for code in vocabulary.OBJECT_KINDS),
            key=lambda c: c[1],
        )
        object_type = self.fields["object_type"]
        assert isinstance(object_type, forms.ChoiceField)
        object_type.choices = [("", _("Any object")), *kinds]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("Until: the last day comes on or after the first."))
        return data


def _need_audit(user: Viewer) -> None:
    if not access.can(user, Perm.AUDIT_VIEW):
        raise NotFound()


def _person_matches(user: Viewer, q: str) -> tuple[list[dict[str, Any]], str]:
    """The persons the person search finds in the audited area, masked; or why none."""
    try:
        people = person_search_for(user=user, q=q, perm=Perm.AUDIT_VIEW)
        found = list(people.select_related("household")[:PERSON_CHOICES_SHOWN])
    except Forbidden as exc:  # a full ID number or phone: for roles that may reveal
        return [], str(exc.message)
    return [{"pk": p.pk, "label": p.audit_label, "household": p.household_id} for p in found], ""


def _shown(entries: Any) -> list[Any]:
    """Each entry of a page with what the page says about it, in the reader's language."""
    rows = []
    for e in entries:
        e.action_text = vocabulary.action_label(e.action)
        e.object_kind = vocabulary.object_kind_label(e.object_type) if e.object_type else ""
        e.object_text = vocabulary.object_text(
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            object_label=e.object_label,
        )
        e.fields_text = vocabulary.fields_text(e.object_type, e.fields)
        e.purpose_text = vocabulary.purpose_text(e.purpose, e.action)
        actor = e.actor if e.actor_id else None
        e.actor_text = (
            (getattr(actor, "display_name", "") or e.actor_name) if actor else e.actor_name
        )
        e.is_person = e.object_type == PERSON and e.object_id.isdigit()
        rows.append(e)
    return rows


@login_required
def log(request: SignedInRequest) -> HttpResponseBase:
    user = request.user
    _need_audit(user)
    form = AuditFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    person: dict[str, Any] | None = None
    matches: list[dict[str, Any]] = []
    search_error = ""
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "action": data["action"],
            "actor_name": data["actor"].strip(),
            "object_type": data["object_type"],
            "object_id": data["object_id"].strip(),
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
        if data["person"]:
            # By the entries' object reference: never by a value stored in the log.
            filters["object_type"], filters["object_id"] = PERSON, str(data["person"])
            label = audit_object_label(
                user=user, object_type=PERSON, object_id=filters["object_id"]
            )
            person = {"pk": data["person"], "label": label or f"#{data['person']}"}
        elif data["person_q"].strip():
            matches, search_error = _person_matches(user, data["person_q"].strip())
    entries = audit_entries_for(user=user, **filters)
    if request.GET.get("export"):
        return exports.export_response(request, exports.AUDIT_LOG, entries, filters=filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _shown(page.object_list)
    context = {
        "form": form,
        "page_obj": page,
        "verification": audit_latest_verification(),
        "filtered": any(v for v in filters.values()),
        "person": person,
        "matches": matches,
        "searched": bool(form.is_valid() and form.cleaned_data["person_q"].strip()),
        "search_error": search_error,
        "system": pgettext("audit actor", "system"),
    }
    return render(request, "audit/log.html", context)


@login_required
@require_POST
def verify(request: SignedInRequest) -> HttpResponse:
    _need_audit(request.user)
    result = audit_verify(actor=request.user)
    if result.ok:
        messages.success(
            request,
            _("The chain is intact: %(count)d entries verified.") % {"count": result.entries},
        )
    else:
        messages.error(
            request,
            _("The chain is broken at entry #%(seq)s.") % {"seq": result.first_broken_seq},
        )
    return redirect("audit:log")
