"""Workbench pages of supplies (物资), at /emergency/supplies/: the inventory store by store
with its warnings (and its download), an item with its movement history and a form for each
movement, creating and editing items. `emergency.view` reads, `emergency.supply` writes.
Thin: parse, call, render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import Forbidden
from gongzhi.core.validation import errors_to_form
from gongzhi.emergency import exports
from gongzhi.emergency import supplies as services
from gongzhi.emergency import supply_selectors as selectors
from gongzhi.emergency.models import SupplyItem

SECTION = "emergency"


class ItemForm(forms.Form):
    """Parse only: the service checks the rules (unique name and unit in a store …)."""

    area = forms.TypedChoiceField(label=gettext_lazy("Store"), coerce=int)
    name = forms.CharField(label=gettext_lazy("Item"), required=False, max_length=200)
    unit = forms.CharField(label=gettext_lazy("Unit"), required=False, max_length=50)
    category = forms.CharField(label=gettext_lazy("Category"), required=False, max_length=100)
    minimum = forms.IntegerField(label=gettext_lazy("Minimum level"), min_value=0, initial=0)
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    space = forms.TypedChoiceField(
        label=gettext_lazy("Kept in"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, areas: list[Any], spaces: list[Any], editing: bool = False,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        area, space = self.fields["area"], self.fields["space"]
        assert isinstance(area, forms.TypedChoiceField)
        assert isinstance(space, forms.TypedChoiceField)
        area.choices = [(a.pk, a.name) for a in areas]
        space.choices = [("", "—"), *((s.pk, s.name) for s in spaces)]
        self.spaces = {s.pk: s for s in spaces}
        if editing:  # an item stays in its store
            del self.fields["area"]

    def data_for_service(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["space"] = self.spaces.get(data.get("space"))
        return data


class MoveForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Movement"),
        choices=[
            ("in", gettext_lazy("In")),
            ("out", gettext_lazy("Out")),
            ("transfer", gettext_lazy("Transfer")),
            ("expiry", gettext_lazy("Expired")),
            ("count", gettext_lazy("Stock count correction")),
        ],
    )
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=400)
    to_item = forms.TypedChoiceField(
        label=gettext_lazy("To store"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, targets: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        to_item = self.fields["to_item"]
        assert isinstance(to_item, forms.TypedChoiceField)
        to_item.choices = [("", "—"), *((t.pk, t.area.name) for t in targets)]
        self.targets = {t.pk: t for t in targets}


def _managed(request: SignedInRequest, item_id: int) -> SupplyItem:
    """An item the user sees (404 else) and may change (403 else)."""
    item = selectors.item_get_for(user=request.user, item_id=item_id)
    if not selectors.may_manage(request.user, item):
        raise Forbidden()
    return item


@requires(Perm.EMERGENCY_VIEW)
def index(request: SignedInRequest) -> HttpResponseBase:
    items = selectors.item_list_for(user=request.user)
    if request.GET.get("export"):
        return exports.export_response(request, exports.INVENTORY, items)
    stores = selectors.inventory_for(user=request.user, items=items)
    return render(
        request,
        "emergency/supplies/index.html",
        {
            "stores": stores,
            "warnings": sum(s.warnings for s in stores),
            "may_create": bool(selectors.store_choices_for(user=request.user)),
            "section": SECTION,
        },
    )


@requires(Perm.SUPPLY_MANAGE)
@require_http_methods(["GET", "POST"])
def item_create(request: SignedInRequest) -> HttpResponseBase:
    areas = selectors.store_choices_for(user=request.user)
    spaces = selectors.space_choices_for(user=request.user)
    posted = request.method == "POST"
    form = ItemForm(request.POST if posted else None, areas=areas, spaces=spaces)
    if posted and form.is_valid():
        data = form.data_for_service()
        data["area"] = next(a for a in areas if a.pk == data["area"])
        try:
            item = services.item_create(actor=request.user, **data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Item added; record what comes in."))
            return redirect("emergency_supplies:item", item_id=item.pk)
    return render(
        request, "emergency/supplies/form.html", {"form": form, "item": None, "section": SECTION}
    )


@requires(Perm.EMERGENCY_VIEW)
@require_http_methods(["GET", "POST"])
def item_edit(request: SignedInRequest, item_id: int) -> HttpResponseBase:
    item = _managed(request, item_id)
    spaces = selectors.space_choices_for(user=request.user)
    posted = request.method == "POST"
    initial = {f: getattr(item, f) for f in ("name", "unit", "category", "minimum", "expires_on")}
    initial["space"] = item.space_id
    form = ItemForm(
        request.POST if posted else None, areas=[], spaces=spaces, editing=True, initial=initial
    )
    if posted and form.is_valid():
        try:
            services.item_update(actor=request.user, item=item, **form.data_for_service())
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Item saved."))
            return redirect("emergency_supplies:item", item_id=item.pk)
    return render(
        request, "emergency/supplies/form.html", {"form": form, "item": item, "section": SECTION}
    )


def _detail(request: SignedInRequest, item: SupplyItem, form: MoveForm | None = None) -> Any:
    manage = selectors.may_manage(request.user, item)
    targets = selectors.transfer_targets_for(user=request.user, item=item) if manage else []
    below, expiring = selectors.flags(item)
    return render(
        request,
        "emergency/supplies/item.html",
        {
            "item": item,
            "below": below,
            "expiring": expiring,
            "movements": selectors.movements_of(item),
            "may_manage": manage,
            "form": form or MoveForm(targets=targets, initial={"kind": "in"}),
            "section": SECTION,
        },
        status=200 if form is None or not form.errors else 400,
    )


@requires(Perm.EMERGENCY_VIEW)
def item_detail(request: SignedInRequest, item_id: int) -> HttpResponse:
    item = selectors.item_get_for(user=request.user, item_id=item_id)
    return _detail(request, item)


@requires(Perm.EMERGENCY_VIEW)
@require_POST
def item_move(request: SignedInRequest, item_id: int) -> HttpResponseBase:
    item = _managed(request, item_id)
    targets = selectors.transfer_targets_for(user=request.user, item=item)
    form = MoveForm(request.POST, targets=targets)
    if form.is_valid():
        data = dict(form.cleaned_data)
        data["to_item"] = form.targets.get(data["to_item"])
        try:
            services.stock_move(actor=request.user, item=item, **data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Movement recorded."))
            return redirect("emergency_supplies:item", item_id=item.pk)
    item.refresh_from_db()
    return _detail(request, item, form)
