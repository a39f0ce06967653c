"""The roster's columns: field, template header and accepted aliases (Chinese and
English), the words accepted for area source, owner kind and yes/no, and how a file's
header is matched to a field."""

import re
import unicodedata
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from ..models import AreaSource, OwnerKind


@dataclass(frozen=True)
class Column:
    """One column of the roster: its field, the header we write, the headers we accept."""

    field: str
    header: str
    required: bool
    help: str | Promise  # translated when shown
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column(
        "building",
        "楼号",
        True,
        gettext_lazy("已登记的楼号或平房区名称，如 16 或 16号楼"),
        ("楼栋", "楼栋号", "building"),
    ),
    Column("unit", "房号", True, gettext_lazy("如 3-201；同一楼号内唯一"), ("房间号", "unit")),
    Column(
        "area",
        "建筑面积(m²)",
        True,
        gettext_lazy("大于0，最多两位小数；仅当面积来源为“未知”时留空"),
        ("建筑面积", "面积", "area", "floor area"),
    ),
    Column(
        "area_source",
        "面积来源",
        True,
        gettext_lazy("不动产登记 / 测绘 / 合同 / 未知"),
        ("area source",),
    ),
    Column("residential", "住宅", False, gettext_lazy("是 / 否，空白为是"), ("residential",)),
    Column(
        "owner_kind",
        "业主类型",
        False,
        gettext_lazy("个人 / 单位，空白为个人（填了产权单位则为单位）"),
        ("owner type", "owner kind"),
    ),
    Column(
        "owner_name",
        "业主姓名",
        True,
        gettext_lazy("个人姓名或单位名称；由产权单位持有的房屋可留空"),
        ("业主", "姓名", "业主名称", "owner", "owner name", "name"),
    ),
    Column(
        "id_number",
        "证件号码",
        True,
        gettext_lazy(
            "个人必填：18位居民身份证号码（含校验位）或旧式15位；"
            "单位可填统一社会信用代码；请将此列设为文本格式"
        ),
        ("身份证号", "身份证号码", "证件号", "id number", "id"),
    ),
    Column("phone", "电话", False, gettext_lazy("手机或固定电话"), ("联系电话", "手机", "phone")),
    Column(
        "share",
        "份额",
        False,
        gettext_lazy("独有房屋留空（即1）；共有房屋每行填份额，合计为1，如 0.5、1/3、50%"),
        ("产权份额", "share"),
    ),
    Column(
        "representative",
        "共有人代表",
        False,
        gettext_lazy("共有房屋须恰有一位代表（是）；独有房屋留空"),
        ("代表", "representative"),
    ),
    Column(
        "property_right_unit",
        "产权单位",
        False,
        gettext_lazy("房屋尚未出售/交付、仍由产权单位持有时，填已登记的产权单位名称"),
        ("property right unit",),
    ),
    Column(
        "valid_from",
        "起始日期",
        False,
        gettext_lazy("成为业主的日期，如 2021-12-10；空白为导入当天"),
        ("产权起始日期", "valid from", "since"),
    ),
)
HEADERS = tuple(c.header for c in COLUMNS)
_COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}

AREA_SOURCE_WORDS = {
    "不动产登记": AreaSource.REGISTERED,
    "不动产登记面积": AreaSource.REGISTERED,
    "登记": AreaSource.REGISTERED,
    "registered": AreaSource.REGISTERED,
    "测绘": AreaSource.SURVEYED,
    "测绘面积": AreaSource.SURVEYED,
    "surveyed": AreaSource.SURVEYED,
    "合同": AreaSource.CONTRACT,
    "合同面积": AreaSource.CONTRACT,
    "contract": AreaSource.CONTRACT,
    "未知": AreaSource.UNKNOWN,
    "unknown": AreaSource.UNKNOWN,
}
# What the template and the export write for each source.
AREA_SOURCE_LABELS: dict[str, str] = {
    AreaSource.REGISTERED: "不动产登记",
    AreaSource.SURVEYED: "测绘",
    AreaSource.CONTRACT: "合同",
    AreaSource.UNKNOWN: "未知",
}
OWNER_KIND_WORDS = {
    "个人": OwnerKind.PERSON,
    "person": OwnerKind.PERSON,
    "单位": OwnerKind.ORGANISATION,
    "organisation": OwnerKind.ORGANISATION,
    "organization": OwnerKind.ORGANISATION,
}
OWNER_KIND_LABELS: dict[str, str] = {OwnerKind.PERSON: "个人", OwnerKind.ORGANISATION: "单位"}
YES_WORDS = {"是", "y", "yes", "true", "1", "√", "✓"}
NO_WORDS = {"否", "n", "no", "false", "0", "×", "✗"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def _header_key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower().rstrip("*")


def _alias_table() -> dict[str, str]:
    table = {}
    for column in COLUMNS:
        for name in (column.header, *column.aliases):
            key = _header_key(name)
            table[key] = column.field
            table[re.sub(r"\(.*?\)", "", key)] = column.field
    return table


_ALIASES = _alias_table()


def column_field(header: object) -> str | None:
    """The field a header names ('建筑面积（㎡）' and 'Floor area' both name ``area``)."""
    if header is None:
        return None
    key = _header_key(str(header))
    return _ALIASES.get(key) or _ALIASES.get(re.sub(r"\(.*?\)", "", key))
