"""Reads for the resident portal: a resident's own household (or that of the person they
act for), masked where personal. Residents hold no register permission, so these reads
are reached only through the account's own links (`accounts.selectors`), never by an id
taken from the request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gongzhi.accounts.models import ProxyLink
from gongzhi.accounts.selectors import proxy_links_for
from gongzhi.core import clock
from gongzhi.core.identity import age_on
from gongzhi.core.masking import mask_name
from gongzhi.registry.models import PRESENT_RESIDENCY, Person, Relation

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer


@dataclass(frozen=True)
class Member:
    name: str  # the subject's in full; everyone else's masked (张*丰)
    relation: str
    age: int
    phone: str  # masked
    is_subject: bool


@dataclass(frozen=True)
class HouseholdView:
    subject_name: str
    present: bool  # the subject still lives in the register's household
    address: str
    community: str
    grid: str
    id_number: str  # the subject's, masked
    phone: str  # the subject's, masked
    members: list[Member] = field(default_factory=list)


def _person(person_id: Any) -> Person | None:
    if not person_id:
        return None
    return (
        Person.objects.select_related(
            "household__community", "household__building__parent", "household__building__compound"
        )
        .filter(pk=person_id)
        .first()
    )


def household_view(person_id: Any) -> HouseholdView | None:
    """The household of the person (the resident, or whom they act for); the caller has
    taken `person_id` from the account (`accounts.acting.acting_person_id`)."""
    person = _person(person_id)
    if person is None:
        return None
    household = person.household
    today = clock.today()
    members = [
        Member(
            name=p.name if p.pk == person.pk else mask_name(p.name),
            relation=str(Relation(p.relation).label) if p.relation in Relation.values else "",
            age=age_on(p.birth_date, today),
            phone=str(p.phone) if p.phone else "",
            is_subject=p.pk == person.pk,
        )
        for p in household.persons.filter(residency__in=PRESENT_RESIDENCY).order_by("birth_date")
    ]
    building = household.building
    return HouseholdView(
        subject_name=person.name,
        present=person.residency in PRESENT_RESIDENCY,
        address=household.address,
        community=household.community.name,
        grid=building.parent.name if building.parent is not None else "",
        id_number=str(person.id_number) if person.id_number else "",
        phone=str(person.phone) if person.phone else "",
        members=members,
    )


def person_short_label(person_id: Any) -> str:
    """How the portal names a person someone acts for, without a word of their own."""
    person = Person.objects.filter(pk=person_id).values_list("name", flat=True).first()
    return person or ""


def person_area_path(person_id: Any) -> str:
    return Person.objects.filter(pk=person_id).values_list("area_path", flat=True).first() or ""


@dataclass(frozen=True)
class ProxyChoice:
    link: ProxyLink
    name: str
    label: str  # 妈妈 … or the relation


def proxy_choices_for(user: Viewer) -> list[ProxyChoice]:
    """The persons the user may act for, with their names, for the switch."""
    links = list(proxy_links_for(user))
    names = dict(
        Person.objects.filter(pk__in=[link.person_id for link in links]).values_list("pk", "name")
    )
    return [
        ProxyChoice(
            link=link,
            name=names.get(link.person_id, ""),
            label=link.label or str(link.get_relation_display()),
        )
        for link in links
    ]
