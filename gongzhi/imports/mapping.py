"""The register fields a spreadsheet column can fill, the headers people use for them, and
the automatic mapping of a file's header onto them (the user may change it)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy


@dataclass(frozen=True)
class ImportField:
    name: str
    label: Promise
    synonyms: tuple[str, ...]
    required: bool = False
    # Substrings that identify the field when no synonym matches exactly, and substrings
    # that rule a header out (户主姓名 is the head's name, not this person's).
    contains: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()


FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "name",
        pgettext_lazy("person", "Name"),
        ("姓名", "名字", "居民姓名", "人员姓名", "成员姓名", "name", "姓名(必填)"),
        required=True,
        contains=("姓名",),
        excludes=("户主", "联系人", "监护人", "紧急"),
    ),
    ImportField(
        "id_number",
        gettext_lazy("Resident ID number"),
        (
            "身份证号",
            "身份证号码",
            "公民身份号码",
            "公民身份证号",
            "身份证",
            "证件号码",
            "证件号",
            "居民身份证号码",
            "id_number",
            "idnumber",
            "id",
            "idcard",
        ),
        required=True,
        contains=("身份证", "身份号码", "证件号"),
        excludes=("户主", "联系人", "监护人"),
    ),
    ImportField(
        "phone",
        gettext_lazy("Phone"),
        (
            "联系电话",
            "电话",
            "手机",
            "手机号",
            "手机号码",
            "电话号码",
            "联系方式",
            "本人电话",
            "phone",
            "mobile",
            "tel",
        ),
        contains=("电话", "手机"),
        excludes=("户主", "紧急", "监护人", "联系人电话"),
    ),
    ImportField(
        "compound",
        gettext_lazy("Compound"),
        ("小区", "小区名称", "所在小区", "小区名", "院落", "小区/院落", "compound"),
        contains=("小区",),
    ),
    ImportField(
        "building",
        gettext_lazy("Building"),
        ("楼栋", "楼栋号", "楼号", "栋", "幢", "栋号", "楼", "building"),
        required=True,
        contains=("楼栋", "楼号"),
    ),
    ImportField(
        "unit",
        gettext_lazy("Unit"),
        ("单元", "单元号", "unit"),
        contains=("单元",),
    ),
    ImportField(
        "room",
        gettext_lazy("Room"),
        ("房号", "房间号", "门牌号", "室", "户室号", "房屋号", "room"),
        required=True,
        contains=("房号", "门牌"),
    ),
    ImportField(
        "relation",
        gettext_lazy("Relation to head"),
        ("与户主关系", "与户主的关系", "关系", "家庭关系", "relation"),
        contains=("户主关系",),
    ),
    ImportField(
        "tags",
        gettext_lazy("Tags"),
        ("标签", "人员标签", "人员类别", "人群类别", "特殊人群", "类别", "人员类型", "tags"),
        contains=("标签",),
    ),
    ImportField(
        "residency",
        gettext_lazy("Residency"),
        ("居住状态", "居住情况", "人户状态", "在住情况", "residency"),
        contains=("居住状态", "居住情况"),
    ),
    ImportField("ethnicity", gettext_lazy("Ethnicity"), ("民族", "ethnicity")),
    ImportField("gender", gettext_lazy("Gender"), ("性别", "gender", "sex")),
    ImportField(
        "birth_date",
        gettext_lazy("Birth date"),
        ("出生日期", "出生年月", "生日", "出生年月日", "birth_date", "birthday"),
        contains=("出生",),
    ),
    ImportField(
        "moved_in_on",
        gettext_lazy("Moved in on"),
        ("入住日期", "迁入日期", "入住时间", "迁入时间", "moved_in_on"),
        contains=("入住", "迁入"),
    ),
    ImportField("notes", gettext_lazy("Notes"), ("备注", "说明", "notes", "remark")),
)
BY_NAME = {f.name: f for f in FIELDS}
REQUIRED = tuple(f.name for f in FIELDS if f.required)

_DECORATION = re.compile(r"[（(【\[].*?[)）】\]]|[*＊※:：\s]")


def normalize_header(text: str) -> str:
    """`身份证号码（必填）*` -> `身份证号码`; `Phone Number` -> `phonenumber`."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _DECORATION.sub("", text)


def auto_map(header: list[str]) -> dict[str, int]:
    """Field -> column: exact synonyms first, then headers that contain a field's word.
    Each column and each field is used once."""
    keys = [normalize_header(h) for h in header]
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for field in FIELDS:
        synonyms = {normalize_header(s) for s in field.synonyms}
        for index, key in enumerate(keys):
            if index not in used and key in synonyms:
                mapping[field.name] = index
                used.add(index)
                break
    for field in FIELDS:
        if field.name in mapping or not field.contains:
            continue
        for index, key in enumerate(keys):
            if index in used or any(x in key for x in field.excludes):
                continue
            if any(word in key for word in field.contains):
                mapping[field.name] = index
                used.add(index)
                break
    return mapping


def check_mapping(mapping: dict[str, Any], header: list[str]) -> dict[str, int]:
    """A mapping as the user sent it, checked: known fields, real columns, each column
    once, and the required fields present (without an ID number column nothing can be
    matched with the register)."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    seen: dict[int, str] = {}
    for name, column in mapping.items():
        if column is None or column == "":
            continue
        if name not in BY_NAME:
            errors.setdefault("mapping", []).append(
                _("There is no register field %(field)s.") % {"field": name}
            )
            continue
        try:
            index = int(column)
        except (TypeError, ValueError):
            index = -1
        if not 0 <= index < len(header):
            errors.setdefault(name, []).append(_("Choose one of the file's columns."))
            continue
        if index in seen:
            errors.setdefault(name, []).append(
                _("Column “%(column)s” is already used for %(other)s.")
                % {"column": header[index], "other": BY_NAME[seen[index]].label}
            )
            continue
        seen[index] = name
        clean[name] = index
    for name in REQUIRED:
        if name not in clean and name not in errors:
            if name == "id_number":
                message = _(
                    "The file has no column of resident ID numbers, or it is not chosen: "
                    "persons are matched with the register by their ID number."
                )
            else:
                message = _("Choose the column that holds %(field)s.") % {
                    "field": BY_NAME[name].label
                }
            errors.setdefault(name, []).append(message)
    if errors:
        raise ValidationError(errors)
    return clean


def column_labels(mapping: dict[str, Any], header: list[str]) -> dict[str, str]:
    """Each mapped field's column as the file names it (`手机号`, `公民身份号码`): what row
    messages call a field, so that the user finds it in their own file."""
    labels: dict[str, str] = {}
    for name, column in mapping.items():
        try:
            index = int(column)
        except (TypeError, ValueError):
            continue
        if 0 <= index < len(header) and header[index]:
            labels[name] = str(header[index])
    return labels


def field_label(name: str, labels: dict[str, str]) -> str:
    """How a row message names a field: the file's header, else the register's name."""
    if name in labels:
        return labels[name]
    return str(BY_NAME[name].label) if name in BY_NAME else name
