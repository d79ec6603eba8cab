"""What the register's pages share: choices, labels, the history as shown, a person's facts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.core import clock, identity
from gongzhi.core.errors import DuplicatePerson, Forbidden
from gongzhi.registry import policy, selectors
from gongzhi.registry.choices import ETHNICITIES
from gongzhi.registry.forms import (
    apply_errors,
    field_label,
)
from gongzhi.registry.models import (
    PRESENT_RESIDENCY,
    Gender,
    HouseholdStatus,
    Person,
    Relation,
    Residency,
    Tag,
)
from gongzhi.registry.transfer_views import transfer_offer

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer


PAGE_SIZE = 50
PICK_LIMIT = 20
_ETHNICITY = dict(ETHNICITIES)


# --- helpers -----------------------------------------------------------------------------------


def _allowed(user: Viewer, perm: Perm, path: str) -> None:
    """A visible object, an action the user's role does not allow there: 403."""
    if not access.can(user, perm, path):
        raise Forbidden()


def _tag_label(tag: Tag) -> str:
    return tag.name_en if translation.get_language() == "en" else tag.name


def _tag_choices() -> list[tuple[str, str]]:
    return [(t.code, _tag_label(t)) for t in selectors.tag_list()]


def _building_choices(buildings: Any) -> list[tuple[Any, Any]]:
    """Buildings grouped by grid: `玉岭花园 1栋`."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for building in buildings:
        grid = building.parent.name if building.parent_id else ""
        compound = building.compound.name if building.compound_id else ""
        groups.setdefault(grid, []).append((building.pk, f"{compound} {building.name}".strip()))
    return [(grid, options) for grid, options in groups.items()]


def _save_failed(form: Any, exc: ValidationError, context: dict[str, Any], user: Viewer) -> None:
    """Put a service's errors on the form; a duplicate ID number links to the person found
    when the user may see them (the service's message already says who and where)."""
    apply_errors(form, exc)
    if isinstance(exc, DuplicatePerson):
        existing = exc.existing
        if access.can(user, Perm.REGISTER_VIEW, existing.area_path):
            context["duplicate"] = existing
        elif "household" in context:  # a new person: offer to ask for a transfer instead
            transfer_offer(context, form, context["household"])


_ACTIONS = {
    "household.create": gettext_lazy("Household registered"),
    "household.update": gettext_lazy("Household corrected"),
    "household.move": gettext_lazy("Household moved"),
    "person.create": gettext_lazy("Person registered"),
    "person.update": gettext_lazy("Person corrected"),
    "person.move_out": gettext_lazy("Moved out"),
    "person.deceased": gettext_lazy("Recorded as deceased"),
    "person.move_in": gettext_lazy("Moved in"),
    "person.tags": gettext_lazy("Tags changed"),
}
_VALUE_LABELS: dict[str, Any] = {
    "residency": Residency,
    "relation": Relation,
    "status": HouseholdStatus,
    "gender": Gender,
}


def _shown(field: str, value: Any, tags: dict[str, str]) -> str:
    if value is None or value == "":
        return "—"
    if field == "tags" and isinstance(value, list):
        return "、".join(str(tags.get(code, code)) for code in value) or "—"
    choices = _VALUE_LABELS.get(field)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    if field == "ethnicity":
        return str(_ETHNICITY.get(value, value))
    return str(value)


def _history_rows(
    changes: list[Any], *, birth_date_shown: bool, with_person: bool = False
) -> list[dict[str, Any]]:
    """Register history prepared for the template: labels instead of codes; a birth date
    only as its year unless the viewer may see birth dates (`registry.policy`). `with_person`
    only where the selector loaded the person (household history)."""
    tags = {code: label for code, label in _tag_choices()}
    rows = []
    for change in changes:
        items = []
        for field, pair in (change.changes or {}).items():
            old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
            label = field_label(field)
            if field == "birth_date" and not birth_date_shown:
                old, new = (str(v)[:4] if v else v for v in (old, new))
            items.append(
                {"label": label, "old": _shown(field, old, tags), "new": _shown(field, new, tags)}
            )
        rows.append(
            {
                "at": change.at,
                "actor": change.actor,
                "action": _ACTIONS.get(change.action, change.action),
                "code": change.action,
                "items": items,
                "note": change.note,
                "person": change.person if with_person and change.person_id else None,
            }
        )
    return rows


def _person_facts(user: Viewer, person: Person) -> dict[str, Any]:
    shown = policy.birth_shown(user, person)
    return {
        "age": identity.age_on(person.birth_date, clock.today()),
        # Only the year for roles that may not reveal: see registry.policy.
        "birth_year": shown if isinstance(shown, int) else None,
        "ethnicity": _ETHNICITY.get(person.ethnicity, person.ethnicity),
        "present": person.residency in PRESENT_RESIDENCY,
    }
