"""What a report template's columns can be mapped to: data sets, their fields, transforms.

A **data set** gives the rows of a report: `persons` (one row per registered person),
`watch_entries` (one row per watch-list entry) or `grid_vaccination` (one row per grid,
with a total row). Each column of a department's template is mapped to one field of the
template's data set, with one transform. Labels of codes in filled reports are Chinese:
a report is a document for a Chinese department, like the template's own headers, not
part of the workbench's interface.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Kinds of field: how a value is written and which transforms apply.
TEXT, NUMBER, RATIO, DATE, CODE, SENSITIVE, BOOL, SEQUENCE = (
    "text", "number", "ratio", "date", "code", "sensitive", "bool", "sequence",
)  # fmt: skip


@dataclass(frozen=True)
class FieldDef:
    code: str
    label: object  # lazy translation (UI)
    kind: str
    names: tuple[str, ...] = ()  # template headers that suggest this field


@dataclass(frozen=True)
class Dataset:
    code: str
    label: object
    fields: tuple[FieldDef, ...]
    filters: tuple[str, ...]

    def field(self, code: str) -> FieldDef | None:
        return next((f for f in self.fields if f.code == code), None)


SEQUENCE_FIELD = FieldDef("sequence", _("Row number"), SEQUENCE, ("序号", "编号", "序"))

PERSON_FIELDS = (
    SEQUENCE_FIELD,
    FieldDef("name", pgettext_lazy("person", "Name"), TEXT, ("姓名", "老人姓名", "人员姓名")),
    FieldDef("gender", _("Gender"), CODE, ("性别",)),
    FieldDef("birth_date", _("Birth date"), DATE, ("出生日期", "出生年月", "出生年月日")),
    FieldDef("age", _("Age"), NUMBER, ("年龄", "周岁")),
    FieldDef(
        "id_number", _("Resident ID number"), SENSITIVE,
        ("身份证号", "身份证号码", "公民身份号码", "证件号码"),
    ),
    FieldDef("phone", _("Phone"), SENSITIVE, ("联系电话", "电话", "手机号", "手机号码", "本人电话")),
    FieldDef("ethnicity", _("Ethnicity"), CODE, ("民族",)),
    FieldDef("relation", _("Relation to head"), CODE, ("与户主关系", "关系")),
    FieldDef("residency", _("Residency"), CODE, ("居住状态", "人户状态", "在住情况")),
    FieldDef(
        "address", _("Address"), TEXT,
        ("家庭住址", "住址", "现住址", "居住地址", "现居住地址", "详细地址", "地址"),
    ),
    FieldDef("compound", _("Compound"), TEXT, ("小区", "小区名称")),
    FieldDef("building", _("Building"), TEXT, ("楼栋", "楼号")),
    FieldDef("unit", _("Unit"), TEXT, ("单元",)),
    FieldDef("room", _("Room"), TEXT, ("房号", "门牌号", "室")),
    FieldDef("grid", _("Grid"), TEXT, ("网格", "所属网格", "所在网格", "网格名称")),
    FieldDef("grid_top", _("Level-1 grid"), TEXT, ("一级网格", "责任网格")),
    FieldDef("grid_worker", _("Grid worker"), TEXT, ("网格员", "责任网格员", "包保人")),
    FieldDef("community", _("Community"), TEXT, ("社区", "所属社区", "社区名称")),
    FieldDef("tags", _("Tags"), TEXT, ("人员类别", "标签", "人员类型", "健康状况", "特殊情况")),
    FieldDef("household_head", _("Head of household"), TEXT, ("户主", "户主姓名")),
    FieldDef("household_size", _("Household members"), NUMBER, ("家庭人口", "户内人数", "同住人数")),
    FieldDef("moved_in_on", _("Moved in on"), DATE, ("迁入日期", "入住日期")),
    FieldDef("doses", _("Vaccine doses"), NUMBER, ("接种剂次", "已接种剂次", "疫苗接种剂次")),
    FieldDef("last_dose_on", _("Last dose on"), DATE, ("末次接种日期", "最近接种日期")),
)  # fmt: skip

WATCH_FIELDS = (
    SEQUENCE_FIELD,
    FieldDef("name", pgettext_lazy("person", "Name"), TEXT, ("姓名",)),
    FieldDef("gender", _("Gender"), CODE, ("性别",)),
    FieldDef("age", _("Age"), NUMBER, ("年龄",)),
    FieldDef("birth_date", _("Birth date"), DATE, ("出生日期",)),
    FieldDef(
        "id_number", _("Resident ID number"), SENSITIVE,
        ("身份证号", "身份证号码", "公民身份号码", "证件号码"),
    ),
    FieldDef("phone", _("Phone"), SENSITIVE, ("联系电话", "电话", "手机号", "手机号码")),
    FieldDef("origin", _("Origin"), TEXT, ("来源地", "从何地来", "出发地", "来自")),
    FieldDef("arrival_date", _("Arrival date"), DATE, ("到达日期", "抵达日期", "返回日期", "来返日期")),
    FieldDef("source", _("Source"), TEXT, ("数据来源", "信息来源", "推送来源")),
    # Where to go: the register's address of a matched person, else the list's stated one.
    FieldDef("address", _("Current address"), TEXT, ("现住址", "现居住地址", "居住地址", "住址")),
    FieldDef("stated_address", _("Stated address"), TEXT, ("推送地址", "申报地址", "目的地")),
    FieldDef("registered_address", _("Registered address"), TEXT, ("登记住址", "户籍地址", "家庭住址")),
    FieldDef("grid", _("Grid"), TEXT, ("网格", "所属网格", "所在网格")),
    FieldDef("grid_worker", _("Follower"), TEXT, ("网格员", "责任人", "包保人", "核查人")),
    FieldDef("community", _("Community"), TEXT, ("社区", "所属社区")),
    FieldDef("list", _("Upstream list"), TEXT, ("名单", "名单批次", "推送批次")),
    FieldDef("tier", _("Match"), CODE, ("匹配情况", "比对结果", "是否在册")),
    FieldDef("status", _("Status"), CODE, ("状态", "办理状态", "处置状态")),
    FieldDef("review_note", _("Online review"), TEXT, ("线上研判", "研判意见", "研判情况")),
    FieldDef("method", _("Verification method"), CODE, ("核实方式",)),
    FieldDef("found", _("Found"), BOOL, ("是否在家", "是否找到", "是否在本地")),
    FieldDef(
        "verification_note", _("Verification"), TEXT,
        ("线下核实", "核实情况", "核查情况", "排查情况"),
    ),
    FieldDef("verified_on", _("Verified on"), DATE, ("核实日期", "核查日期", "排查日期")),
    FieldDef("outcome", _("Outcome"), CODE, ("管控措施", "处置情况", "处置结果", "管控情况")),
)  # fmt: skip

VACCINATION_FIELDS = (
    SEQUENCE_FIELD,
    FieldDef("grid", _("Grid"), TEXT, ("网格", "网格名称", "所属网格", "单位")),
    FieldDef("community", _("Community"), TEXT, ("社区", "所属社区")),
    FieldDef("persons", _("Persons"), NUMBER, ("常住人口", "人口数", "总人数", "在册人数")),
    FieldDef("aged_60_plus", _("Aged 60 or over"), NUMBER, ("60岁以上人口", "60岁及以上人数", "60岁以上人数")),
    FieldDef("dose_1", _("At least 1 dose"), NUMBER, ("第一剂接种人数", "第1剂", "首针接种人数", "接种第一剂")),
    FieldDef("dose_2", _("At least 2 doses"), NUMBER, ("第二剂接种人数", "全程接种人数", "第2剂")),
    FieldDef("dose_3", _("At least 3 doses"), NUMBER, ("第三剂接种人数", "加强针接种人数", "加强免疫人数", "第3剂")),
    FieldDef("rate_1", _("Rate, 1 dose"), RATIO, ("第一剂接种率", "首针接种率", "接种率")),
    FieldDef("rate_2", _("Rate, 2 doses"), RATIO, ("全程接种率", "第二剂接种率")),
    FieldDef("rate_3", _("Rate, 3 doses"), RATIO, ("加强针接种率", "加强免疫接种率", "第三剂接种率")),
    FieldDef("aged_60_plus_dose_1", _("Aged 60+, at least 1 dose"), NUMBER, ("60岁以上接种人数", "60岁以上第一剂接种人数")),
    FieldDef("rate_60_plus", _("Rate of those aged 60+, 1 dose"), RATIO, ("60岁以上接种率",)),
)  # fmt: skip

DATASETS: dict[str, Dataset] = {
    "persons": Dataset(
        "persons",
        _("Registered persons"),
        PERSON_FIELDS,
        ("area", "tags", "residency", "age_min", "age_max"),
    ),
    "watch_entries": Dataset(
        "watch_entries",
        _("Watch-list entries"),
        WATCH_FIELDS,
        ("area", "status", "tier", "since_days"),
    ),
    "grid_vaccination": Dataset(
        "grid_vaccination",
        _("Vaccination per grid"),
        VACCINATION_FIELDS,
        ("area", "grid_level"),
    ),
}
DATASET_CHOICES = [(d.code, d.label) for d in DATASETS.values()]

# --- transforms --------------------------------------------------------------------------------

NONE, MASK, FULL, DATE_FORMAT, LABEL, AGE, CONSTANT, PERCENT = (
    "", "mask", "full", "date", "label", "age", "constant", "percent",
)  # fmt: skip
TRANSFORMS = {
    NONE: _("As is"),
    MASK: _("Mask"),
    FULL: _("Full value (needs the right to reveal; audited)"),
    DATE_FORMAT: _("Date as text"),
    LABEL: _("Code to label"),
    AGE: _("Age from the date"),
    CONSTANT: _("Constant text"),
    PERCENT: _("Percentage"),
}
# Which transforms each kind of field takes (a constant needs no field).
TRANSFORMS_FOR_KIND = {
    TEXT: {NONE, MASK},
    NUMBER: {NONE},
    RATIO: {NONE, PERCENT},
    DATE: {NONE, DATE_FORMAT, AGE},
    CODE: {NONE, LABEL},
    SENSITIVE: {NONE, MASK, FULL},
    BOOL: {NONE, LABEL},
    SEQUENCE: {NONE},
}
DATE_FORMATS = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "YYYY/MM/DD": "%Y/%m/%d",
    "YYYY.MM.DD": "%Y.%m.%d",
    "YYYYMMDD": "%Y%m%d",
    "YYYY年MM月DD日": "%Y年%m月%d日",
    "YYYY年M月D日": "{year}年{month}月{day}日",
    "YYYY-MM": "%Y-%m",
}
CONSTANT_MAX = 100

# Labels of codes as a filled report writes them (Chinese: the department's document).
LABELS_ZH: dict[str, dict[str, str]] = {
    "gender": {"male": "男", "female": "女"},
    "residency": {
        "living": "在住", "tenant": "租住", "away": "外出", "moved_out": "迁出", "deceased": "死亡",
    },
    "relation": {
        "head": "户主", "spouse": "配偶", "child": "子女", "child_in_law": "儿媳/女婿",
        "grandchild": "孙子女", "parent": "父母", "parent_in_law": "岳父母/公婆",
        "grandparent": "祖父母", "sibling": "兄弟姐妹", "tenant": "租户", "other": "其他",
    },
    "tier": {
        "id_number": "在册（身份证号匹配）", "name_phone": "在册（姓名+电话匹配）",
        "name_birth": "在册（姓名+出生日期匹配）", "ambiguous": "待确认（多人同名）",
        "none": "未在册",
    },
    "status": {
        "to_review": "待研判", "to_verify": "待核实", "verified": "已核实", "closed": "已办结",
    },
    "outcome": {
        "home_monitoring": "居家健康监测", "home_isolation": "居家隔离",
        "central_isolation": "集中隔离", "tested": "已核酸检测，无需管控",
        "not_here": "不在本地", "transferred": "已移交属地", "no_action": "无需管控",
        "dismissed": "研判排除",
    },
    "method": {"visit": "上门走访", "phone": "电话核实", "video": "视频核实", "other": "其他"},
    "found": {"true": "是", "false": "否"},
}  # fmt: skip


def parse_label_map(text: str) -> dict[str, str]:
    """`male=男;female=女` (or one pair a line) -> {"male": "男", "female": "女"}."""
    pairs: dict[str, str] = {}
    for part in re.split(r"[;；\n]", text or ""):
        if "=" in part:
            code, _sep, label = part.partition("=")
            if code.strip():
                pairs[code.strip()] = label.strip()
    return pairs


def _normal_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"[(\[【].*?[)\]】]", "", text)
    return re.sub(r"[\s*:：/\\_\-]", "", text)


def suggest_field(dataset: Dataset, header: str) -> str:
    """The field a template header most likely means ("" when none)."""
    key = _normal_header(header)
    if not key:
        return ""
    for field in dataset.fields:
        if key in (_normal_header(n) for n in field.names):
            return field.code
    best, best_len = "", 0
    for field in dataset.fields:
        for name in field.names:
            known = _normal_header(name)
            if len(known) >= 2 and known in key and len(known) > best_len:
                best, best_len = field.code, len(known)
    return best


def suggest_transform(field: FieldDef | None) -> str:
    if field is None:
        return NONE
    if field.kind == RATIO:
        return PERCENT
    if field.kind in (CODE, BOOL):
        return LABEL
    return NONE
