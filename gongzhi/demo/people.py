"""Synthetic residents: households of consistent families with valid resident ID numbers,
mainland mobile numbers and Chinese names. Pure and seeded; nothing here is a real person.

- Names: surnames drawn by Faker's zh_CN frequency table, given names from Faker's zh_CN
  given-name lists (one entry, or two single characters joined, as most names are).
- ID numbers (GB 11643): a birthplace division code from the community's list (mostly the
  local district), the birth date, a sequence whose last digit is odd for men, the check
  character; unique across the whole demo.
- Ages as of `AGE_REFERENCE`, so a seed gives the same people on any day; tags that depend
  on age (80+) are computed against the real date at load time.
- Households are drawn from exact shares of household kinds (12% elderly living alone…),
  then shuffled, so the shares hold at any scale.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from faker.providers.person.zh_CN import Provider as ZhNames

from gongzhi.core.identity import FEMALE, MALE, id_check_digit
from gongzhi.demo.layout import apportion
from gongzhi.demo.spec import CommunitySpec

AGE_REFERENCE = dt.date(2025, 7, 1)
ELDERLY_ALONE_MIN_AGE = 65

# Household kinds and their shares (an ageing mid-sized Chinese city).
HOUSEHOLD_KINDS: tuple[tuple[str, float], ...] = (
    ("elderly_alone", 0.12),  # one person aged 65+, tagged elderly_alone
    ("elderly_couple", 0.12),
    ("single", 0.08),
    ("couple", 0.12),
    ("couple_child", 0.27),
    ("couple_children", 0.10),
    ("three_generations", 0.13),
    ("single_parent", 0.04),
    ("shared", 0.02),  # flat-sharing tenants
)
TENANT_SHARE = 0.07  # other households that rent their dwelling

# Mainland mobile prefixes (China Mobile, Unicom, Telecom, Broadnet), weighted by use.
MOBILE_PREFIXES: tuple[tuple[str, float], ...] = (
    ("134", 3), ("135", 6), ("136", 5), ("137", 5), ("138", 7), ("139", 8), ("147", 1),
    ("150", 4), ("151", 4), ("152", 4), ("157", 2), ("158", 4), ("159", 4), ("178", 2),
    ("182", 3), ("183", 2), ("184", 1), ("187", 3), ("188", 3), ("198", 1),
    ("130", 3), ("131", 3), ("132", 3), ("155", 3), ("156", 3), ("166", 1), ("175", 1),
    ("176", 2), ("185", 2), ("186", 4),
    ("133", 3), ("153", 2), ("173", 1), ("177", 2), ("180", 2), ("181", 2), ("189", 3),
    ("191", 1), ("199", 2),
    ("192", 1),
)  # fmt: skip

_SURNAMES = list(ZhNames.last_names)
_SURNAME_WEIGHTS = list(ZhNames.last_names.values())
_GIVEN = {MALE: list(ZhNames.first_names_male), FEMALE: list(ZhNames.first_names_female)}
_GIVEN_CHARS = {g: [n for n in names if len(n) == 1] for g, names in _GIVEN.items()}


@dataclass(slots=True)
class PersonPlan:
    name: str
    gender: str
    birth_date: dt.date
    id_number: str
    phone: str
    ethnicity: str
    relation: str
    residency: str
    moved_in_on: dt.date
    tags: list[str] = field(default_factory=list)


@dataclass(slots=True)
class HouseholdPlan:
    kind: str
    persons: list[PersonPlan]


class Registry:
    """Numbers already handed out, so ID numbers (and phones) are unique across the demo."""

    def __init__(self) -> None:
        self.id_numbers: set[str] = set()
        self.phones: set[str] = set()


class PersonMaker:
    def __init__(self, spec: CommunitySpec, rng: random.Random, registry: Registry):
        self.spec = spec
        self.rng = rng
        self.registry = registry
        self._places = [code for code, _ in spec.birthplaces]
        self._place_weights = [w for _, w in spec.birthplaces]
        self._ethnicities = [code for code, _ in spec.ethnicities]
        self._ethnicity_weights = [w for _, w in spec.ethnicities]
        self._prefixes = [p for p, _ in MOBILE_PREFIXES]
        self._prefix_weights = [w for _, w in MOBILE_PREFIXES]

    # --- pieces ------------------------------------------------------------------------
    def surname(self) -> str:
        return self.rng.choices(_SURNAMES, weights=_SURNAME_WEIGHTS)[0]

    def given_name(self, gender: str) -> str:
        rng = self.rng
        if rng.random() < 0.4:
            return rng.choice(_GIVEN[gender])
        chars = _GIVEN_CHARS[gender]
        first, second = rng.choice(chars), rng.choice(chars)
        return first + second if first != second else first

    def birth_date(self, age: int) -> dt.date:
        # Strictly inside the year of age, so the age holds on AGE_REFERENCE.
        days = int((age + self.rng.uniform(0.02, 0.98)) * 365.2425)
        return dt.date.fromordinal(AGE_REFERENCE.toordinal() - days)

    def id_number(self, birth: dt.date, gender: str, place: str | None = None) -> str:
        rng = self.rng
        while True:
            division = place or rng.choices(self._places, weights=self._place_weights)[0]
            order = rng.randrange(1, 500) * 2 + (1 if gender == MALE else 0)
            first17 = f"{division}{birth:%Y%m%d}{order:03d}"
            if first17 not in self.registry.id_numbers:
                self.registry.id_numbers.add(first17)
                return first17 + id_check_digit(first17)
            place = None  # that birthplace and day are crowded: try anywhere

    def phone(self, age: int) -> str:
        rng = self.rng
        if age < 12:
            chance = 0.0
        elif age < 18:
            chance = 0.45
        elif age < 75:
            chance = 0.97
        else:
            chance = 0.55
        if rng.random() >= chance:
            return ""
        while True:
            prefix = rng.choices(self._prefixes, weights=self._prefix_weights)[0]
            number = f"{prefix}{rng.randrange(100_000_000):08d}"
            if number not in self.registry.phones:
                self.registry.phones.add(number)
                return number

    def person(
        self,
        *,
        age: int,
        gender: str,
        relation: str,
        surname: str | None = None,
        moved_in: dt.date,
        residency: str = "living",
    ) -> PersonPlan:
        rng = self.rng
        birth = self.birth_date(max(0, age))
        return PersonPlan(
            name=(surname or self.surname()) + self.given_name(gender),
            gender=gender,
            birth_date=birth,
            id_number=self.id_number(birth, gender),
            phone=self.phone(age),
            ethnicity=rng.choices(self._ethnicities, weights=self._ethnicity_weights)[0],
            relation=relation,
            residency=residency,
            moved_in_on=max(moved_in, birth),
        )

    # --- households --------------------------------------------------------------------
    def household(self, kind: str) -> HouseholdPlan:
        rng = self.rng
        moved_in = dt.date.fromordinal(AGE_REFERENCE.toordinal() - rng.randrange(1, 30 * 365))
        tenant = kind == "shared" or (kind != "elderly_alone" and rng.random() < TENANT_SHARE)
        residency = "tenant" if tenant else "living"
        if tenant:  # tenants come and go: a recent move-in
            moved_in = dt.date.fromordinal(AGE_REFERENCE.toordinal() - rng.randrange(1, 5 * 365))

        def make(age: int, gender: str, relation: str, surname: str | None = None) -> PersonPlan:
            return self.person(
                age=age,
                gender=gender,
                relation=relation,
                surname=surname,
                moved_in=moved_in,
                residency=residency,
            )

        def other(gender: str) -> str:
            return FEMALE if gender == MALE else MALE

        def gender_of_child() -> str:
            return MALE if rng.random() < 0.52 else FEMALE

        def couple(age: int) -> tuple[PersonPlan, PersonPlan]:
            head_gender = MALE if rng.random() < 0.72 else FEMALE
            head = make(age, head_gender, "head")
            spouse_age = age + (rng.randint(-5, 1) if head_gender == MALE else rng.randint(-1, 5))
            spouse = make(max(20, spouse_age), other(head_gender), "spouse")
            return head, spouse

        def children(father: PersonPlan, mother_age: int, count: int) -> list[PersonPlan]:
            out, age = [], mother_age - rng.randint(23, 33)
            for _ in range(count):
                if age < 0:
                    break
                surname = father.name[: _surname_length(father.name)]
                out.append(make(age, gender_of_child(), "child", surname))
                age -= rng.randint(2, 8)
            return out

        persons: list[PersonPlan]
        if kind == "elderly_alone":
            gender = FEMALE if rng.random() < 0.65 else MALE  # mostly widows
            age = int(rng.triangular(ELDERLY_ALONE_MIN_AGE, 96, 74))
            persons = [make(age, gender, "head")]
        elif kind == "elderly_couple":
            persons = list(couple(int(rng.triangular(60, 92, 68))))
        elif kind == "single":
            persons = [make(int(rng.triangular(20, 60, 27)), _any_gender(rng), "head")]
        elif kind == "couple":
            age = rng.randint(23, 35) if rng.random() < 0.6 else rng.randint(45, 64)
            persons = list(couple(age))
        elif kind in ("couple_child", "couple_children", "three_generations"):
            head_age = rng.randint(26, 56) if kind != "three_generations" else rng.randint(30, 50)
            head, spouse = couple(head_age)
            father = head if head.gender == MALE else spouse
            mother_age = _age(spouse if head.gender == MALE else head)
            count = 1 if kind == "couple_child" else 2
            if kind == "three_generations":
                count = 1 if rng.random() < 0.6 else 2
            persons = [head, spouse, *children(father, mother_age, count)]
            if kind == "three_generations":
                # The head's own parents (same surname as the head's father) or the spouse's.
                own = rng.random() < 0.6
                side = head if own else spouse
                relation = "parent" if own else "parent_in_law"
                side_surname = side.name[: _surname_length(side.name)]
                elder_age = min(95, _age(side) + rng.randint(24, 32))
                if rng.random() < 0.55:
                    persons.append(make(elder_age, MALE, relation, side_surname))
                    persons.append(make(min(95, elder_age - rng.randint(0, 4)), FEMALE, relation))
                else:
                    gender = FEMALE if rng.random() < 0.7 else MALE
                    surname = side_surname if gender == MALE else None
                    persons.append(make(elder_age, gender, relation, surname))
        elif kind == "single_parent":
            gender = FEMALE if rng.random() < 0.7 else MALE
            head = make(rng.randint(28, 55), gender, "head")
            child_age = max(0, _age(head) - rng.randint(23, 33))
            surname = head.name[: _surname_length(head.name)] if gender == MALE else None
            persons = [head, make(child_age, gender_of_child(), "child", surname)]
        elif kind == "shared":
            persons = [make(rng.randint(22, 40), _any_gender(rng), "head")]
            for _ in range(rng.randint(1, 2)):
                persons.append(make(rng.randint(20, 40), _any_gender(rng), "tenant"))
        else:  # pragma: no cover - a typo in HOUSEHOLD_KINDS
            raise ValueError(kind)
        household = HouseholdPlan(kind=kind, persons=persons)
        self._mark_away(household)
        self._tag(household)
        return household

    def _mark_away(self, household: HouseholdPlan) -> None:
        """Working-age adults registered here but working elsewhere (外出务工); never the only
        member, and in a three-generation home sometimes both parents (留守儿童)."""
        if len(household.persons) < 2 or household.kind == "shared":
            return
        rng = self.rng
        parents = [p for p in household.persons if p.relation in ("head", "spouse")]
        for person in parents:
            if 20 <= _age(person) <= 50 and rng.random() < self.spec.away_rate:
                person.residency = "away"
        present = [p for p in household.persons if p.residency != "away"]
        if not present:
            household.persons[-1].residency = "living"

    def _tag(self, household: HouseholdPlan) -> None:
        rng = self.rng
        low_income = rng.random() < (0.05 if household.kind == "elderly_alone" else 0.022)
        parents_away = all(
            p.residency == "away" for p in household.persons if p.relation in ("head", "spouse")
        )
        for person in household.persons:
            age = _age(person)
            tags = person.tags
            if household.kind == "elderly_alone":
                tags.append("elderly_alone")
            if rng.random() < (0.06 if age >= 60 else 0.015):
                tags.append("disabled")
            chronic = 0.35 if age >= 60 else 0.12 if age >= 40 else 0.01
            if rng.random() < chronic:
                tags.append("chronic_illness")
            party = age >= 18 and rng.random() < (0.12 if age >= 60 else 0.075)
            if party:
                tags.append("party_member")
            if low_income:
                tags.append("low_income")
            if person.gender == MALE and age >= 35 and rng.random() < 0.03:
                tags.append("veteran")
            if 18 <= age <= 70 and rng.random() < (0.2 if party else 0.04):
                tags.append("volunteer")
            if person.gender == FEMALE and 22 <= age <= 40 and rng.random() < 0.015:
                tags.append("pregnant")
            if age >= 18 and rng.random() < 0.002:
                tags.append("key_person")
            if person.relation == "child" and age < 16 and parents_away:
                tags.append("left_behind_child")


def _age(person: PersonPlan) -> int:
    b = person.birth_date
    r = AGE_REFERENCE
    return r.year - b.year - ((r.month, r.day) < (b.month, b.day))


def _any_gender(rng: random.Random) -> str:
    return MALE if rng.random() < 0.5 else FEMALE


def _surname_length(name: str) -> int:
    return 2 if name[:2] in ("欧阳", "司马", "诸葛", "上官", "东方") else 1


def household_kinds(count: int, rng: random.Random) -> list[str]:
    """Exactly the shares of HOUSEHOLD_KINDS for `count` households, in random order."""
    counts = apportion(count, [share for _, share in HOUSEHOLD_KINDS])
    kinds = [kind for (kind, _), n in zip(HOUSEHOLD_KINDS, counts, strict=True) for _ in range(n)]
    rng.shuffle(kinds)
    return kinds


def people_rng(spec: CommunitySpec, seed: int) -> random.Random:
    return random.Random(f"gongzhi-demo:{seed}:{spec.slug}:people")
