"""One spreadsheet row -> the values the register would store, or the row's problems.

Every check is the one the services make (`core.identity` for names, ID numbers and
phones; the same choices for relation, residency, ethnicity and tags; the limits of
`registry.rows`), and the values come from `registry.rows` (blind indexes, pinyin keys,
masks), so an imported person is exactly what `registry.services.person_create` would
have made. Cells come as `core.tabular` gives them: text, whole numbers, decimals, dates.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from phonenumbers.phonemetadata import PhoneMetadata

from gongzhi.core import clock, identity, scope
from gongzhi.core.masking import mask_text
from gongzhi.core.validation import CONTROL
from gongzhi.imports.mapping import BY_NAME
from gongzhi.registry import rows as row_rules
from gongzhi.registry.choices import ETHNICITIES
from gongzhi.registry.models import Area, AreaKind, Relation, Residency, Tag

NOTES_MAX, UNIT_MAX, ROOM_MAX = row_rules.NOTES_MAX, row_rules.UNIT_MAX, row_rules.ROOM_MAX
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900 leap-year bug)
_CONTROL = CONTROL  # the services' rule for text (`core.validation`)
_SPLIT_TAGS = re.compile(r"[、，,;；/|\s]+")
AREA_NAME_MAX = 100  # Area.name
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S")

Problem = tuple[str, str, str]  # field, code, message


@dataclass(slots=True)
class RowPlan:
    """What a valid row asks of the register. None: the file does not say (keep as is)."""

    row: int
    name: str = ""
    name_pinyin: str = ""
    name_initials: str = ""
    id_number: Any = ""  # text, or (staged) a Sealed value holding the ciphertext
    id_index: str = ""
    birth_date: dt.date | None = None
    gender: str = ""
    phone: Any = None  # text, or (staged) a Sealed value holding the ciphertext
    phone_index: str | None = None
    id_masked: str = ""
    phone_masked: str = ""
    building: Area | None = None
    unit: str = ""
    room: str = ""
    relation: str | None = None
    residency: str | None = None
    ethnicity: str | None = None
    tags: frozenset[str] | None = None
    moved_in_on: dt.date | None = None
    notes: str | None = None
    problems: list[Problem] = field(default_factory=list)
    # Bad optional values: the row is imported without them and listed for correction.
    warnings: list[Problem] = field(default_factory=list)
    # Where the row would go when its building is not in the importer's area:
    # ("new", compound, building, compound is new) proposes creating it; ("question",
    # compound, building, grid) is a building of that name outside the area.
    place: tuple[Any, ...] | None = None

    def problem(self, field_name: str, code: str, message: Any) -> None:
        # Messages quote cells ("“…” is not one of the choices"); a cell may hold an ID
        # number or a phone (a column mapped wrongly): masked, as everywhere it is shown.
        self.problems.append((field_name, code, mask_text(str(message))))

    def warn(self, field_name: str, code: str, message: Any) -> None:
        """A bad optional value: not imported (the caller drops it), the row listed."""
        self.warnings.append((field_name, code, mask_text(str(message))))


# --- value readers ---------------------------------------------------------------------------


def text_of(value: Any) -> str:
    """A cell as text: whole numbers without `.0`, dates as ISO, stripped."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _key(value: Any) -> str:
    return _text_key(text_of(value))


@lru_cache(maxsize=8192)
def _text_key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


# The mainland mobile numbers of phonenumbers' own metadata. For an 11-digit number that
# matches it (and does not start with a carrier-selection prefix, 11/12/179, which
# phonenumbers' parser may strip), `identity.normalize_phone` returns the digits as they
# are; checking this one pattern is ten times cheaper than parsing. Anything else goes
# through `identity.normalize_phone` itself. tests/test_rows.py compares the two.
def _cn_pattern(kind: str) -> re.Pattern[str]:
    metadata = PhoneMetadata.metadata_for_region("CN")
    desc = getattr(metadata, kind, None)
    pattern = getattr(desc, "national_number_pattern", None)
    if pattern is None:
        raise ImportError(f"phonenumbers has no CN {kind} pattern")
    return re.compile(pattern, re.ASCII)


_MOBILE = _cn_pattern("mobile")
_GENERAL = _cn_pattern("general_desc")
_SAFE_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def normalize_phone(value: str) -> str:
    """`identity.normalize_phone`, with a fast path for the common mobile number."""
    digits = identity.normalize_digits(value)
    if (
        len(digits) == 11
        and _SAFE_MOBILE.fullmatch(digits)
        and not digits.startswith("179")
        and _MOBILE.fullmatch(digits)
        and _GENERAL.fullmatch(digits)
    ):
        return digits
    return identity.normalize_phone(value)


def date_of(value: Any) -> dt.date | None:
    """A date cell, an Excel serial number, or text such as 2024-03-01 or 2024年3月1日.
    Raises ValueError when the value is none of these."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel's serial dates: 1900-01-01 .. 9999-12-31
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    if re.fullmatch(r"\d{4,6}(\.\d+)?", text):  # a serial that arrived as text (CSV)
        return date_of(float(text))
    raise ValueError(value)


def _strip_suffix(text: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def building_key(text: Any) -> str:
    """`3栋`, `3号楼`, `3 幢`, `３` -> `3`: how buildings are matched by name."""
    key = _key(text).upper()
    return _strip_suffix(key, ("号楼", "栋", "幢", "楼", "号", "座"))


def compound_key(text: Any) -> str:
    return _key(text)


def unit_of(value: Any) -> str:
    return _unit(text_of(value))


def room_of(value: Any) -> str:
    return _room(text_of(value))


@lru_cache(maxsize=8192)
def _unit(text: str) -> str:
    return _strip_suffix(unicodedata.normalize("NFKC", text).replace(" ", ""), ("单元",))


@lru_cache(maxsize=8192)
def _room(text: str) -> str:
    return _strip_suffix(unicodedata.normalize("NFKC", text).replace(" ", ""), ("室", "房", "号"))


# --- code lists --------------------------------------------------------------------------------

_RELATION_WORDS: dict[str, str] = {
    Relation.HEAD: "户主 本人 户主本人 head self",
    Relation.SPOUSE: "配偶 妻 妻子 夫 丈夫 夫妻 老伴 spouse wife husband",
    Relation.CHILD: "子 女 儿子 女儿 子女 长子 次子 三子 长女 次女 三女 独子 独女 养子 养女 "
    "继子 继女 child son daughter",
    Relation.CHILD_IN_LAW: "儿媳 女婿 媳妇 儿媳妇 儿媳/女婿",
    Relation.GRANDCHILD: "孙子 孙女 外孙 外孙女 孙子女 外孙子女 孙子女/外孙子女 grandchild",
    Relation.PARENT: "父亲 母亲 父母 父 母 parent father mother",
    Relation.PARENT_IN_LAW: "公公 婆婆 岳父 岳母 公婆 岳父母 公婆/岳父母",
    Relation.GRANDPARENT: "祖父 祖母 外祖父 外祖母 爷爷 奶奶 外公 外婆 祖父母 祖父母/外祖父母",
    Relation.SIBLING: "兄弟 姐妹 兄 弟 姐 妹 哥哥 弟弟 姐姐 妹妹 兄弟姐妹 sibling",
    Relation.TENANT: "租户 租客 承租人 tenant",
    Relation.OTHER: "其他 其它 亲属 其他亲属 保姆 other",
}
_RESIDENCY_WORDS: dict[str, str] = {
    Residency.LIVING: "常住 在住 居住 本地 户在人在 人户一致 living",
    Residency.TENANT: "租户 租住 租赁 出租 tenant",
    Residency.AWAY: "外出 外地 不在 暂离 户在人不在 away",
    Residency.MOVED_OUT: "迁出 已迁出 搬走 moved_out",
    Residency.DECEASED: "死亡 已故 去世 deceased",
}
# Tag names as spreadsheets often shorten them (the tags' own names and codes match too).
_TAG_WORDS = {
    "elderly_alone": "独居 独居老年人 空巢独居",
    "elderly": "高龄 高龄老年人 八十岁以上",
    "disabled": "残疾 残障 残障人士",
    "chronic_illness": "慢病 慢性病患者",
    "key_person": "重点 重点人群",
    "party_member": "中共党员 共产党员",
    "low_income": "低保 低保对象",
    "veteran": "退伍军人 复员军人",
    "pregnant": "孕妇 产妇",
    "left_behind_child": "留守",
}
_GENDER_WORDS = {"男": "male", "女": "female", "m": "male", "f": "female"}


def _words(table: dict[str, str], choices: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, words in table.items():
        for word in words.split():
            out[_key(word)] = str(code)
        out[_key(code)] = str(code)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for code, label in choices.choices:
                out.setdefault(_key(label), code)
    return out


class Vocabulary:
    """The code lists as people write them: 户主 -> head, 汉族 -> 01, 独居老人 -> elderly_alone."""

    def __init__(self) -> None:
        self.relations = _words(_RELATION_WORDS, Relation)
        self.residencies = _words(_RESIDENCY_WORDS, Residency)
        self.ethnicities: dict[str, str] = {}
        for code, label in ETHNICITIES:
            self.ethnicities[code] = code
            self.ethnicities[str(int(code))] = code
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    name = _key(label)
                self.ethnicities.setdefault(name, code)
                if name.endswith("族") and len(name) > 2:
                    self.ethnicities.setdefault(name[:-1], code)
        self.tags: dict[str, str] = {}
        for code, name, name_en in Tag.objects.values_list("code", "name", "name_en"):
            for word in (code, name, name_en, *_TAG_WORDS.get(code, "").split()):
                self.tags[_key(word)] = code


class Buildings:
    """The community's buildings by compound and name; which of them the importer may use.

    A building the community does not have, named with its compound, is proposed for
    creation (`RowPlan.place`, "new"); one that exists only outside the importer's area is
    a question ("question"), never a guess and never a second building of that name."""

    def __init__(self, community: Area, scope_paths: list[str]):
        self.scope_paths = scope_paths
        buildings = list(
            Area.objects.within(community.path)
            .filter(kind=AreaKind.BUILDING)
            .select_related("compound", "parent")
        )
        self.by_id = {b.pk: b for b in buildings}
        self.by_compound: dict[tuple[str, str], Area] = {}
        self.by_name: dict[str, list[Area]] = {}
        for building in buildings:
            key = building_key(building.name)
            compound = compound_key(building.compound.name) if building.compound is not None else ""
            self.by_compound[(compound, key)] = building
            self.by_name.setdefault(key, []).append(building)
        # Every compound, with or without buildings (a new building may join one).
        self.compound_names = {
            compound_key(name): name
            for name in Area.objects.within(community.path)
            .filter(kind=AreaKind.COMPOUND)
            .values_list("name", flat=True)
        }
        self.compounds = {k[0] for k in self.by_compound} | set(self.compound_names)
        self._cache: dict[tuple[str, str], tuple[Area | None, list[Problem], Any]] = {}
        self._allowed: dict[int, bool] = {}

    def allows(self, building: Area) -> bool:
        """Is the building in the importer's area? (Asked once per building.)"""
        allowed = self._allowed.get(building.pk)
        if allowed is None:
            allowed = self._allowed[building.pk] = scope.within(building.path, self.scope_paths)
        return allowed

    def resolve(self, plan: RowPlan, compound: Any, building: Any) -> Area | None:
        """The row's building, or its problems; remembered per (compound, building) text."""
        key = (text_of(compound), text_of(building))
        found = self._cache.get(key)
        if found is None:
            probe = RowPlan(row=0)
            found = self._cache[key] = (self._resolve(probe, *key), probe.problems, probe.place)
            if len(self._cache) > 4096:
                self._cache.clear()
        plan.problems.extend(found[1])
        plan.place = found[2]
        return found[0]

    def _resolve(self, plan: RowPlan, compound: Any, building: Any) -> Area | None:
        name = text_of(building)
        if not name:
            plan.problem("building", "required", _("Enter the building."))
            return None
        key = building_key(name)
        ckey = compound_key(compound)
        if ckey:
            found = self.by_compound.get((ckey, key))
            if found is None:
                if _nameable(text_of(compound)) and _nameable(name):
                    # Not in the community: proposed for creation in the importer's area.
                    known = self.compound_names.get(ckey)
                    plan.place = (
                        "new",
                        known or _display(text_of(compound)),
                        building_name(name),
                        known is None,
                    )
                elif ckey not in self.compounds:
                    plan.problem(
                        "compound",
                        "unknown_compound",
                        _("There is no compound “%(compound)s” in this community.")
                        % {"compound": text_of(compound)},
                    )
                else:
                    plan.problem(
                        "building",
                        "unknown_building",
                        _("Compound “%(compound)s” has no building “%(building)s”.")
                        % {"compound": text_of(compound), "building": name},
                    )
                return None
        else:
            candidates = self.by_name.get(key, [])
            if not candidates:
                plan.problem(
                    "building",
                    "unknown_building",
                    _(
                        "There is no building “%(building)s” in this community; to have it "
                        "created, add a column with its compound."
                    )
                    % {"building": name},
                )
                return None
            if len(candidates) > 1:
                plan.problem(
                    "building",
                    "ambiguous_building",
                    _(
                        "Several compounds have a building “%(building)s”: add a column "
                        "with the compound."
                    )
                    % {"building": name},
                )
                return None
            found = candidates[0]
        if not self.allows(found):
            compound_name = found.compound.name if found.compound is not None else ""
            where = found.parent.name if found.parent is not None else ""
            plan.place = ("question", compound_name, found.name, where)
            plan.problem(
                "building",
                "out_of_scope",
                _(
                    "Building “%(building)s” of %(compound)s lies in %(where)s, outside the "
                    "area you import into: the row is held. If it belongs there, whoever "
                    "keeps that area imports it; otherwise correct the building in the file."
                )
                % {"building": found.name, "compound": compound_name, "where": where},
            )
            return None
        return found


def _display(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def building_name(text: str) -> str:
    """A new building's name from a cell: `5` -> `5栋`, otherwise the cell as written."""
    shown = _display(text)
    return f"{shown}栋" if shown.isdigit() else shown


def _nameable(text: str) -> bool:
    """Could the cell name a new area? Not a personal value (a column mapped wrongly),
    no control characters, within an area name's length."""
    return (
        bool(text)
        and len(text) <= AREA_NAME_MAX
        and not _CONTROL.search(text)
        and mask_text(text) == text
    )


# --- the row -----------------------------------------------------------------------------------


def _messages(exc: ValidationError) -> tuple[str, str]:
    code = getattr(exc, "code", None) or "invalid"
    return code, " ".join(exc.messages)


def parse_row(
    number: int,
    values: list[Any],
    mapping: dict[str, int],
    buildings: Buildings,
    vocabulary: Vocabulary,
    today: dt.date,
    labels: dict[str, str] | None = None,
) -> RowPlan:
    """Read and check one row; the plan's `problems` list what rejects it (a bad name or
    ID number, an address that cannot be placed), its `warnings` the optional values
    left out (a phone no carrier uses, a word not in a code list), field by field.
    `labels`: the file's header of each mapped field, for messages naming another column."""
    plan = RowPlan(row=number)

    width = len(values)
    cell = {name: values[i] for name, i in mapping.items() if i < width}.get

    # Name (required), as identity.normalize_name, with the pinyin keys the search uses.
    try:
        plan.name, plan.name_pinyin, plan.name_initials = row_rules.name_keys(text_of(cell("name")))
    except ValidationError as exc:
        plan.problem("name", *_messages(exc))

    # Resident ID number (required): text only; Excel keeps 15 digits of a number.
    raw_id = cell("id_number")
    if isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool):
        plan.problem(
            "id_number",
            "stored_as_number",
            _(
                "The ID number was stored as a number, and Excel keeps only 15 digits of a "
                "number: format the column as text and enter the number again."
            ),
        )
    else:
        text = text_of(raw_id).lstrip("'`‘’")
        try:
            rid = identity.parse_resident_id(text, today=today)
        except ValidationError as exc:
            plan.problem("id_number", *_messages(exc))
        else:
            plan.id_number, plan.id_index, plan.birth_date, plan.gender = (
                row_rules.id_number_columns(rid)
            )
            plan.id_masked = row_rules.masked_id_number(rid.number)
            given = _key(cell("gender"))
            if given:
                gender = _GENDER_WORDS.get(given) or (given if given in ("male", "female") else "")
                if gender != rid.gender:
                    plan.warn(
                        "gender",
                        "gender_mismatch",
                        _(
                            "This does not match the ID number in “%(column)s” (its 17th "
                            "digit); the register takes the gender from the ID number."
                        )
                        % {"column": _column(labels, "id_number")},
                    )
            raw_birth = cell("birth_date")
            if raw_birth not in (None, ""):
                try:
                    birth = date_of(raw_birth)
                except ValueError:
                    plan.warn("birth_date", "date", _bad_date(raw_birth))
                else:
                    if birth != rid.birth_date:
                        plan.warn(
                            "birth_date",
                            "birth_date_mismatch",
                            _(
                                "This does not match the ID number in “%(column)s” (its "
                                "digits 7–14); the register takes the birth date from the "
                                "ID number."
                            )
                            % {"column": _column(labels, "id_number")},
                        )

    # Phone (optional): an empty cell keeps the register's phone; so does a bad one.
    raw_phone = text_of(cell("phone"))
    if raw_phone:
        try:
            plan.phone, plan.phone_index = row_rules.phone_columns(normalize_phone(raw_phone))
            plan.phone_masked = row_rules.masked_phone(plan.phone)
        except ValidationError as exc:
            plan.phone, plan.phone_index = None, None
            rule, message = _messages(exc)
            plan.warn("phone", rule, _not_imported(message))

    # Where: compound + building (by name, within the community and the importer's area).
    plan.building = buildings.resolve(plan, cell("compound"), cell("building"))
    plan.unit = unit_of(cell("unit"))
    plan.room = room_of(cell("room"))
    if len(plan.unit) > UNIT_MAX:
        plan.problem("unit", "max_length", _("At most %(max)d characters.") % {"max": UNIT_MAX})
    if not plan.room:
        plan.problem("room", "required", _("Enter the room."))
    elif len(plan.room) > ROOM_MAX:
        plan.problem("room", "max_length", _("At most %(max)d characters.") % {"max": ROOM_MAX})
    for name, text in (("unit", plan.unit), ("room", plan.room)):
        if _CONTROL.search(text):
            plan.problem(name, "control", _("Control characters (such as NUL) are not allowed."))

    # Code lists.
    plan.relation = _choice(plan, "relation", cell("relation"), vocabulary.relations)
    plan.residency = _choice(plan, "residency", cell("residency"), vocabulary.residencies)
    plan.ethnicity = _choice(plan, "ethnicity", cell("ethnicity"), vocabulary.ethnicities)
    raw_tags = text_of(cell("tags"))
    if raw_tags:
        codes: set[str] = set()
        unknown: list[str] = []
        for word in _SPLIT_TAGS.split(unicodedata.normalize("NFKC", raw_tags)):
            if not word or word in ("无", "-", "—"):
                continue
            code = vocabulary.tags.get(_key(word))
            if code is None:
                unknown.append(word)
            else:
                codes.add(code)
        if unknown:
            # Not quoted: a tag word may say something about the person's health. The
            # cell is left out whole: a known subset would drop the register's other tags.
            plan.warn(
                "tags",
                "unknown_tag",
                _not_imported(
                    _("%(count)d of the tags are not in the tag list; write them as it names them.")
                    % {"count": len(unknown)}
                ),
            )
        else:
            plan.tags = frozenset(codes)

    raw_moved_in = cell("moved_in_on")
    if raw_moved_in not in (None, ""):
        try:
            plan.moved_in_on = date_of(raw_moved_in)
        except ValueError:
            plan.warn("moved_in_on", "date", _not_imported(_bad_date(raw_moved_in)))
        else:
            if plan.moved_in_on and plan.moved_in_on > today:
                plan.moved_in_on = None
                plan.warn(
                    "moved_in_on",
                    "future",
                    _not_imported(_("A move-in date cannot be in the future.")),
                )
            elif plan.moved_in_on and plan.birth_date and plan.moved_in_on < plan.birth_date:
                plan.moved_in_on = None
                plan.warn(
                    "moved_in_on",
                    "before_birth",
                    _not_imported(_("A move-in date cannot be before the birth date.")),
                )

    notes = text_of(cell("notes"))
    if notes:
        if _CONTROL.search(notes):
            plan.warn(
                "notes",
                "control",
                _not_imported(_("Control characters (such as NUL) are not allowed.")),
            )
        elif len(notes) > NOTES_MAX:
            plan.warn(
                "notes",
                "max_length",
                _not_imported(_("At most %(max)d characters.") % {"max": NOTES_MAX}),
            )
        else:
            plan.notes = notes
    return plan


def _column(labels: dict[str, str] | None, name: str) -> str:
    """A field as the file's header names it (asked only when a message needs it)."""
    return (labels or {}).get(name) or str(BY_NAME[name].label)


def _not_imported(message: Any) -> str:
    return _("%(rule)s This value was not imported; correct it in the file.") % {"rule": message}


def _bad_date(value: Any) -> str:
    # The cell is not quoted (nor in the next message): the problem report shows the row
    # as it is, and a stored message outlives the file.
    return _("This is not a date; write it as 2024-03-01.")


def _choice(plan: RowPlan, name: str, value: Any, words: dict[str, str]) -> str | None:
    key = _key(value)
    if not key:
        return None
    code = words.get(key)
    if code is None:
        plan.warn(
            name,
            "choice",
            _not_imported(_("This is not one of the choices for this column.")),
        )
    return code


def today() -> dt.date:
    return clock.today()
