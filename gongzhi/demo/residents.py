"""The demo residents: each community's resident login lives in a household of its
community (linked to the head of that household in the register, with that person's
mobile number, so SMS sign-in works), and acts for an elderly parent living alone
(a proxy link confirmed by the community's secretary) — 数字反哺 in the demo.

Run by `logins.create_logins` after the logins exist; printed with the logins.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q

from gongzhi.accounts.models import ProxyLink, ProxyRelation, User
from gongzhi.accounts.services import (
    phone_index,
    proxy_link_create,
    proxy_link_end,
    user_link_person,
    user_set_phone,
)
from gongzhi.core import clock
from gongzhi.core.fields import reveal
from gongzhi.core.identity import age_on
from gongzhi.registry.models import Person, Residency

CANDIDATES = 200  # heads looked at per community: enough to find a family of 2+


def _own_household_head(community: Any, user: User) -> Person | None:
    """A head of a family household (2+ present members) aged 30–60 with a mobile number
    no other account uses: the resident login's own record."""
    today = clock.today()
    heads = (
        Person.objects.filter(
            household__community=community, relation="head", residency=Residency.LIVING
        )
        .exclude(phone="")
        .annotate(
            present=Count(
                "household__persons",
                filter=Q(household__persons__residency__in=[Residency.LIVING, Residency.TENANT]),
            )
        )
        .filter(present__gte=2)
        .order_by("pk")[:CANDIDATES]
    )
    for person in heads:
        if not 30 <= age_on(person.birth_date, today) <= 60:
            continue
        taken = User.objects.filter(phone_index=phone_index(reveal(person.phone)))
        if taken.exclude(pk=user.pk).exists():
            continue
        return person
    return None


def _elderly_parent(community: Any, surname: str) -> Person | None:
    """An elderly person living alone in the community, of the same surname if any."""
    alone = Person.objects.filter(
        household__community=community,
        tags__code="elderly_alone",
        residency=Residency.LIVING,
    ).order_by("pk")
    return alone.filter(name__startswith=surname).first() or alone.first()


def _calls(gender: str, *, same_family: bool, own_gender: str) -> str:
    """What a son or daughter (in-law) calls the parent: 妈妈, 爸爸, 婆婆, 岳父 …"""
    female = gender == "female"
    if same_family:
        return "妈妈" if female else "爸爸"
    if own_gender == "female":  # the husband's parents
        return "婆婆" if female else "公公"
    return "岳母" if female else "岳父"  # the wife's parents


def link_residents(loaded: Iterable[Any]) -> None:
    for community in loaded:
        spec = community.plan.spec
        user = User.objects.filter(username=f"{spec.slug}-resident", is_demo=True).first()
        secretary = User.objects.filter(username=f"{spec.slug}-secretary", is_demo=True).first()
        if user is None:
            continue
        for link in ProxyLink.objects.filter(user=user, is_active=True):
            proxy_link_end(link=link, actor=None)
        head = _own_household_head(community.community, user)
        if head is None:
            continue
        user_set_phone(user=user, phone=reveal(head.phone))
        user_link_person(user=user, person=head)
        user.display_name = head.name
        user.save(update_fields=["display_name"])
        parent = _elderly_parent(community.community, head.name[:1])
        if parent is None:
            continue
        same_family = parent.name[:1] == head.name[:1]
        proxy_link_create(
            user=user,
            person=parent,
            relation=ProxyRelation.CHILD if same_family else ProxyRelation.CHILD_IN_LAW,
            label=_calls(parent.gender, same_family=same_family, own_gender=head.gender),
            actor=secretary,
        )


def resident_notes(users: Iterable[User]) -> dict[int, str]:
    """`住 玉岭花园 1栋 1单元 101室 · 手机 139… (SMS sign-in at /m/login/) · 代 妈妈 李秀英`
    for the demo users who have a register record, a number or proxy links."""
    users = [u for u in users if u.person_id or u.phone]
    if not users:
        return {}
    persons = {
        p.pk: p
        for p in Person.objects.filter(pk__in=[u.person_id for u in users if u.person_id])
        .select_related("household")
        .only("pk", "name", "household__address")
    }
    links: dict[int, list[ProxyLink]] = {}
    for link in ProxyLink.objects.filter(
        user__in=users, is_active=True, confirmed_at__isnull=False
    ).order_by("pk"):
        links.setdefault(link.user_id, []).append(link)
    names = dict(
        Person.objects.filter(
            pk__in=[link.person_id for found in links.values() for link in found]
        ).values_list("pk", "name")
    )
    notes = {}
    for user in users:
        parts = []
        person = persons.get(user.person_id) if user.person_id is not None else None
        if person is not None:
            parts.append(f"{person.name}, 住 {person.household.address}")
        if user.phone:
            # Demo numbers are synthetic: printed in full so that SMS sign-in can be tried.
            parts.append(f"手机 {reveal(user.phone)} (SMS sign-in at /m/login/)")
        for link in links.get(user.pk, []):
            parts.append(f"代 {link.label} {names.get(link.person_id, '')}".strip())
        notes[user.pk] = " · ".join(parts)
    return notes
