"""Reading an upstream list: which column is which, and each row normalised.

Upstream lists come from many systems, so columns are recognised by the names they use
(身份证号 / 公民身份号码 / 证件号码 …). A list needs an ID-number or a phone column; the
other columns are optional and unknown ones are ignored (and listed). Each row's values
are normalised as the register stores them (full-width digits, a lower-case x, dates as
text or Excel serials) and blind-indexed with the register's purposes. A row's problems
(a wrong check digit, an ID that Excel turned into a number) are kept with the row rather
than refusing the list: the list is the upstream system's, the row still needs a visit.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gongzhi.core import clock, identity
from gongzhi.core.masking import mask_text
from gongzhi.registry import rows as register_rows

TEXT_MAX = {"origin": 100, "source": 100, "address": 200}
EXCEL_EPOCH = dt.date(1899, 12, 30)
_MOBILE = re.compile(r"1[3-9]\d{9}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# field -> names a column may carry (compared after normalising: NFKC, no spaces, no
# bracketed remarks such as "（必填）", lower case).
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "人员姓名", "name"),
    "id_number": (
        "身份证号", "身份证号码", "公民身份号码", "公民身份证号码", "证件号码", "证件号",
        "身份证", "身份证件号码", "id_number", "idnumber", "idcard",
    ),
    "phone": (
        "手机号", "手机号码", "联系电话", "电话", "电话号码", "联系方式", "手机",
        "phone", "mobile",
    ),
    "birth_date": ("出生日期", "出生年月日", "出生年月", "生日", "birth_date", "birthdate"),
    "origin": (
        "来源地", "出发地", "始发地", "来自", "来自地区", "途经地", "来源地区", "从何地来",
        "来源城市", "origin",
    ),
    "arrival_date": (
        "到达日期", "抵达日期", "来返日期", "返回日期", "到达时间", "抵达时间", "返回时间",
        "来返时间", "入境日期", "就诊日期", "就诊时间", "推送日期", "arrival_date",
        "arrivaldate",
    ),
    "source": ("数据来源", "推送来源", "来源单位", "信息来源", "推送单位", "source"),
    "address": (
        "现住址", "居住地址", "现居住地址", "住址", "详细地址", "地址", "家庭住址", "目的地",
        "目的地址", "现居地", "现住地址", "address",
    ),
}  # fmt: skip
FIELDS = tuple(COLUMN_NAMES)


def _key(header: str) -> str:
    text = unicodedata.normalize("NFKC", header or "")
    text = re.sub(r"[(\[【].*?[)\]】]", "", text)  # remarks: 身份证号(18位)
    return re.sub(r"[\s*_:：\-]", "", text).lower()


_LOOKUP = {_key(name): f for f, names in COLUMN_NAMES.items() for name in names}


@dataclass(frozen=True)
class ColumnMap:
    fields: dict[str, int]  # field -> position in the row
    header: list[str]

    @property
    def ignored(self) -> list[str]:
        used = set(self.fields.values())
        return [h for i, h in enumerate(self.header) if i not in used]

    def as_json(self) -> dict[str, Any]:
        return {
            "fields": {f: self.header[i] for f, i in self.fields.items()},
            "ignored": self.ignored,
        }


def map_columns(header: Sequence[str]) -> ColumnMap:
    """Which column holds which field; refuses a list with neither ID nor phone column."""
    fields: dict[str, int] = {}
    for position, name in enumerate(header):
        key = _key(name)
        found = _LOOKUP.get(key)
        if found is None:
            # "身份证号码(必填)" is handled by _key; "联系电话（本人）" too. A longer name
            # that contains a known one ("居住地址详细") counts, the longest known name first.
            for known in sorted(_LOOKUP, key=len, reverse=True):
                if len(known) >= 2 and known in key:
                    found = _LOOKUP[known]
                    break
        if found is not None and found not in fields:
            fields[found] = position
    if "id_number" not in fields and "phone" not in fields:
        raise ValidationError(
            {
                "file": [
                    ValidationError(
                        _(
                            "The list has neither an ID-number column nor a phone column, so "
                            "no row can be matched. Name one column 身份证号 or 手机号 "
                            "(found: %(columns)s)."
                        )
                        % {"columns": "、".join(h for h in header if h) or "—"},
                        code="no_identifier",
                    )
                ]
            }
        )
    return ColumnMap(fields=fields, header=list(header))


@dataclass
class Row:
    """One upstream row, normalised; `problems` maps a field to what is wrong with it."""

    row_number: int
    name: str = ""
    id_number: str = ""
    id_index: str = ""
    phone: str = ""
    phone_index: str = ""
    birth_date: dt.date | None = None
    origin: str = ""
    arrival_date: dt.date | None = None
    source: str = ""
    address: str = ""
    problems: dict[str, list[str]] = field(default_factory=dict)

    def problem(self, name: str, message: str) -> None:
        self.problems.setdefault(name, []).append(mask_text(str(message)))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return _CONTROL.sub("", str(value)).strip()


def parse_date(value: Any) -> dt.date:
    """A date cell: a date, an Excel serial number, or text such as 2022-03-14,
    2022/3/14, 2022.3.14, 2022年3月14日 or 20220314. Raises ValueError naming the rule."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueError("not a date")
    if isinstance(value, int | float):
        number = int(value)
        if 19000101 <= number <= 21001231:  # 20220314 typed as a number
            return _ymd(str(number)[:4], str(number)[4:6], str(number)[6:8])
        if 1 <= number <= 73050:  # an Excel serial (1900-01-01 … 2099-12-31)
            return EXCEL_EPOCH + dt.timedelta(days=number)
        raise ValueError("not a date")
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = re.match(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if match:
        return _ymd(*match.groups())
    if re.fullmatch(r"\d{8}", text):
        return _ymd(text[:4], text[4:6], text[6:8])
    if re.fullmatch(r"\d{1,5}(\.0+)?", text):
        return parse_date(int(float(text)))
    raise ValueError("not a date")


def _ymd(year: str, month: str, day: str) -> dt.date:
    date = dt.date(int(year), int(month), int(day))
    if not 1900 <= date.year <= 2100:
        raise ValueError("out of range")
    return date


def _number_id_problem(value: Any) -> str | None:
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric and len(str(int(value))) >= 15:
        return _(
            "The ID number was stored as a number, and Excel keeps only 15 digits: its "
            "last digits are lost. Format the column as text in the source file."
        )
    return None


def parse_row(row_number: int, values: Sequence[Any], columns: ColumnMap) -> Row:
    """One row normalised and blind-indexed, with any problems noted per field."""
    row = Row(row_number=row_number)

    def cell(name: str) -> Any:
        position = columns.fields.get(name)
        value = values[position] if position is not None and position < len(values) else None
        return None if isinstance(value, str) and not value.strip() else value

    raw_name = cell("name")
    if raw_name is not None:
        try:
            row.name = identity.normalize_name(_text(raw_name))
        except ValidationError as exc:
            row.problem("name", " ".join(exc.messages))
    raw_id = cell("id_number")
    if raw_id is not None:
        number_problem = _number_id_problem(raw_id)
        if number_problem:
            row.problem("id_number", number_problem)
        else:
            try:
                rid = identity.parse_resident_id(_text(raw_id), check_division=False)
            except ValidationError as exc:
                row.problem("id_number", " ".join(exc.messages))
            else:
                row.id_number = rid.number
                # The register's blind index: entries are matched with persons on it.
                row.id_index = register_rows.id_number_index(rid.number)
                row.birth_date = rid.birth_date
    raw_phone = cell("phone")
    if raw_phone is not None:
        digits = identity.normalize_digits(_text(raw_phone))
        if _MOBILE.fullmatch(digits):
            phone = digits  # a mobile, as normalize_phone gives it (the common case, fast)
        else:
            try:
                phone = identity.normalize_phone(digits)
            except ValidationError as exc:
                row.problem("phone", " ".join(exc.messages))
                phone = ""
        if phone:
            row.phone = phone
            row.phone_index = register_rows.phone_index(phone)
    raw_birth = cell("birth_date")
    if raw_birth is not None and row.birth_date is None:
        try:
            row.birth_date = parse_date(raw_birth)
        except ValueError:
            row.problem("birth_date", _("This is not a date (write it as 2022-03-14)."))
        else:
            if row.birth_date > clock.today():
                row.problem("birth_date", _("A birth date cannot be in the future."))
                row.birth_date = None
    raw_arrival = cell("arrival_date")
    if raw_arrival is not None:
        try:
            row.arrival_date = parse_date(raw_arrival)
        except ValueError:
            row.problem("arrival_date", _("This is not a date (write it as 2022-03-14)."))
    for name, limit in TEXT_MAX.items():
        text = _text(cell(name))
        if len(text) > limit:
            row.problem(
                name,
                _("At most %(max)d characters; the rest was cut off.") % {"max": limit},
            )
            text = text[:limit]
        # Free text (a stated address, a remark as origin) may carry someone's ID number
        # or phone: stored and shown masked, like every personal value outside its field.
        setattr(row, name, mask_text(text))
    if not (row.id_index or row.phone_index or row.name):
        row.problem("__all__", _("The row has no usable ID number, phone or name."))
    return row


def parse_rows(rows: Iterable[tuple[int, Sequence[Any]]], columns: ColumnMap) -> list[Row]:
    """Every row parsed; a repeated ID number is noted on the later rows."""
    parsed: list[Row] = []
    first_with: dict[str, int] = {}
    for row_number, values in rows:
        row = parse_row(row_number, values, columns)
        if row.id_index:
            earlier = first_with.setdefault(row.id_index, row_number)
            if earlier != row_number:
                row.problem(
                    "id_number",
                    _("The same ID number is on row %(row)d of this list.") % {"row": earlier},
                )
        parsed.append(row)
    return parsed
