"""An attacker with a masked-only role tries to rebuild a full ID number from everything
the role can read about a person: pages, API, exports. The review did it in one step
(`420102********1234` beside the birth date); now every surface together must leave at
least a thousand candidates, and no exact search to try them with."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from gongzhi.accounts.models import Role
from gongzhi.core.identity import id_check_digit

MASKED_ONLY = [Role.PARTY_MEMBER, Role.BUILDING_HEAD, Role.STREET_OFFICER]
_MASK = re.compile(r"(\d{6})\*{8,12}([\dX]{1,4})")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _readable(client, world, person) -> str:
    """Everything the signed-in role may read about `person`, as one text."""
    texts = []
    for url in (
        f"/register/persons/{person.pk}/",
        f"/register/households/{person.household_id}/",
        f"/register/households/?q={person.name}",
        "/register/households/?export=csv&rows=persons",
        f"/api/v1/persons/{person.pk}",
        "/api/v1/persons",
    ):
        response = client.get(url)
        if response.status_code == 200:
            body = b"".join(response.streaming_content) if response.streaming else response.content
            texts.append(body.decode("utf-8", "replace"))
    return "\n".join(texts)


def _candidates(text: str, number: str, birth_year_visible: int | None) -> int:
    """How many ID numbers agree with every mask and birth date in `text`."""
    masks = {m.groups() for m in _MASK.finditer(text) if number.startswith(m.group(1))}
    assert masks, "the masked number should be on the pages"
    region, tail = next(iter(masks))
    dates = {dt.date(*map(int, m.groups())) for m in _DATE.finditer(text)}
    births = [d for d in dates if d.year == birth_year_visible] or [
        dt.date(birth_year_visible, 1, 1) + dt.timedelta(days=n) for n in range(365)
    ]
    count = 0
    for birth in births:
        for order in range(1000):
            first17 = f"{region}{birth:%Y%m%d}{order:03d}"
            candidate = first17 + id_check_digit(first17)
            if candidate.endswith(tail):
                count += 1
    return count


@pytest.mark.parametrize("role", MASKED_ONLY)
def test_masked_only_role_cannot_rebuild_an_id_number(client, world, role):
    person = world.person_a1
    client.force_login(world.by_role[role])
    text = _readable(client, world, person)
    number = person.id_number.reveal()
    assert number not in text
    assert person.birth_date.isoformat() not in text  # only the year, never the date
    assert _candidates(text, number, person.birth_date.year) >= 1000


def test_the_old_mask_beside_the_birth_date_was_a_reveal(world):
    """What the review did: `420102********1234` and the birth date leave one candidate."""
    number = world.person_a1.id_number.reveal()
    old_mask = number[:6] + "*" * 8 + number[-4:]
    text = f"{old_mask} {world.person_a1.birth_date.isoformat()}"
    assert _candidates(text, number, world.person_a1.birth_date.year) == 1


@pytest.mark.parametrize("role", MASKED_ONLY)
def test_masked_only_role_gets_no_exact_search_oracle(client, world, role):
    client.force_login(world.by_role[role])
    number = world.person_a1.id_number.reveal()
    page = client.get("/register/households/", {"q": number})
    assert page.status_code == 200
    assert world.person_a1.name not in page.content.decode()
    assert "仅限可查看完整信息的角色" in page.content.decode()  # says why, in Chinese
    api = client.get("/api/v1/persons", {"q": number})
    assert api.status_code == 403


def test_api_gives_a_masked_only_role_the_birth_year_not_the_date(client, world):
    client.force_login(world.by_role[Role.PARTY_MEMBER])
    body = client.get(f"/api/v1/persons/{world.person_a1.pk}").json()
    assert body["birth_date"] is None
    assert body["birth_year"] == world.person_a1.birth_date.year
    assert body["id_number"].count("*") == 11


def test_a_role_that_may_reveal_still_sees_the_birth_date(client, world):
    client.force_login(world.grid_worker_a)
    body = client.get(f"/api/v1/persons/{world.person_a1.pk}").json()
    assert body["birth_date"] == world.person_a1.birth_date.isoformat()
