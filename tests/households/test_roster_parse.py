"""The pure roster checks and the bad-input corpus: one case per kind of bad row.

No database: the register's buildings, property-right units and registered ID numbers
come in a RosterContext, as the service hands them over.
"""

import datetime as dt
from decimal import Decimal

import pytest

from households.id_numbers import normalise_credit_code, normalise_id_number
from households.models import AreaSource, OwnerKind
from households.roster import (
    HEADERS,
    RosterContext,
    RosterFileError,
    RowError,
    read_table,
    validate_roster,
)

from .roster_files import csv_bytes, make_id, owner_row, table_cells, xlsx_bytes

TODAY = dt.date(2024, 6, 1)
REGISTERED_ID = make_id(900)
CONTEXT = RosterContext(
    buildings=frozenset({"1", "2", "平房一区"}),
    property_right_units=frozenset({"北京某研究所"}),
    registered_names={REGISTERED_ID: "王登记"},
    today=TODAY,
)


def check(rows, **read):
    return validate_roster(read_table(csv_bytes(rows, **read)), CONTEXT)


def errors_of(rows) -> list[tuple[int | None, str]]:
    return [(e.row, e.column) for e in check(rows).errors]


def test_a_valid_file_has_no_errors_and_groups_units():
    roster = check(
        [
            owner_row("1", "101", "张三", 1),
            owner_row("1", "102", "李四", 2, **{"建筑面积(m²)": "", "面积来源": "未知"}),
            owner_row("平房一区", "5", "王五", 3, 住宅="否"),
        ]
    )
    assert roster.errors == []
    assert [(u.building, u.number, u.floor_area, u.area_source) for u in roster.units] == [
        ("1", "101", Decimal("65.50"), AreaSource.REGISTERED),
        ("1", "102", None, AreaSource.UNKNOWN),
        ("平房一区", "5", Decimal("65.50"), AreaSource.REGISTERED),
    ]
    assert roster.units[2].is_residential is False
    (owner,) = roster.units[0].owners
    assert (owner.name, owner.id_number, owner.share, owner.is_representative) == (
        "张三",
        make_id(1),
        Decimal("1.0000"),
        True,
    )
    assert owner.valid_from == dt.date(2020, 5, 1)


# --- the bad-input corpus: (case, rows, expected (row, column) errors, words of the reason) --

ONE_ROW_CASES = [
    ("negative area", {"建筑面积(m²)": "-5"}, "建筑面积(m²)", "面积不能为负数"),
    ("zero area", {"建筑面积(m²)": "0"}, "建筑面积(m²)", "面积须大于0"),
    ("three decimals", {"建筑面积(m²)": "65.505"}, "建筑面积(m²)", "两位小数"),
    ("area not a number", {"建筑面积(m²)": "六十"}, "建筑面积(m²)", "不是数字"),
    ("area too large", {"建筑面积(m²)": "12345678"}, "建筑面积(m²)", "面积过大"),
    ("missing area, known source", {"建筑面积(m²)": ""}, "建筑面积(m²)", "缺少建筑面积"),
    ("area with source unknown", {"面积来源": "未知"}, "面积来源", "不应填写面积"),
    ("area without source", {"面积来源": ""}, "面积来源", "须注明面积来源"),
    ("unheard-of source", {"面积来源": "估算"}, "面积来源", "估算"),
    ("unknown building", {"楼号": "99"}, "楼号", "未登记的楼号"),
    ("missing building", {"楼号": ""}, "楼号", "缺少楼号"),
    ("missing unit", {"房号": ""}, "房号", "缺少房号"),
    ("unit too long", {"房号": "1" * 33}, "房号", "过长"),
    ("residential neither yes nor no", {"住宅": "也许"}, "住宅", "是"),
    ("unknown owner kind", {"业主类型": "集体"}, "业主类型", "个人"),
    ("ID number without a name", {"业主姓名": ""}, "业主姓名", "缺少业主姓名"),
    ("person without ID number", {"证件号码": ""}, "证件号码", "须填写证件号码"),
    ("ID check digit wrong", {"证件号码": "110105198001010010"}, "证件号码", "校验位"),
    ("ID of 17 characters", {"证件号码": "11010519800101001"}, "证件号码", "18位"),
    ("ID with letters inside", {"证件号码": "11010519800A010015"}, "证件号码", "前17位"),
    ("ID birth date impossible", {"证件号码": "110105198002300014"}, "证件号码", "出生日期"),
    ("ID born in the future", {"证件号码": make_id(1, birth="20250101")}, "证件号码", "出生日期"),
    ("ID in scientific notation", {"证件号码": "1.10105E+17"}, "证件号码", "存成了数字"),
    ("legacy ID not digits", {"证件号码": "11010549123100X"}, "证件号码", "15位"),
    (
        "organisation with bad credit code",
        {"业主类型": "单位", "业主姓名": "某公司", "证件号码": "91110000802100433A"},
        "证件号码",
        "统一社会信用代码",
    ),
    (
        "unknown property-right unit",
        {"产权单位": "不存在的单位", "业主姓名": "", "证件号码": "", "业主类型": ""},
        "产权单位",
        "未登记的产权单位",
    ),
    (
        "property-right unit held by a person",
        {"产权单位": "北京某研究所", "业主姓名": "", "证件号码": ""},
        "业主类型",
        "单位",
    ),
    (
        "property-right unit with another name",
        {"产权单位": "北京某研究所", "业主类型": "单位", "证件号码": ""},
        "业主姓名",
        "产权单位名称相同",
    ),
    (
        "property-right unit with an ID number",
        {"产权单位": "北京某研究所", "业主类型": "", "业主姓名": ""},
        "证件号码",
        "不填证件号码",
    ),
    ("malformed phone", {"电话": "call me"}, "电话", "电话号码格式不正确"),
    ("share not a number", {"份额": "half"}, "份额", "不是数字"),
    ("share zero", {"份额": "0"}, "份额", "大于0"),
    ("share above one", {"份额": "1.5"}, "份额", "不能大于1"),
    ("share too fine", {"份额": "0.33333"}, "份额", "4位小数"),
    ("sole owner with a part share", {"份额": "0.5"}, "份额", "独有房屋"),
    ("sole owner not representative", {"共有人代表": "否"}, "共有人代表", "独有房屋"),
    ("representative neither yes nor no", {"共有人代表": "maybe"}, "共有人代表", "是"),
    ("date that does not exist", {"起始日期": "2021-13-45"}, "起始日期", "无法识别"),
    ("date in the future", {"起始日期": "2030-01-01"}, "起始日期", "晚于今天"),
    ("date before 1900", {"起始日期": "1850-01-01"}, "起始日期", "1900"),
    ("registered ID, other name", {"证件号码": REGISTERED_ID}, "业主姓名", "业主冲突"),
]


@pytest.mark.parametrize(
    ("overrides", "column", "words"),
    [case[1:] for case in ONE_ROW_CASES],
    ids=[case[0] for case in ONE_ROW_CASES],
)
def test_one_bad_row_is_named_with_column_and_reason(overrides, column, words):
    rows = [owner_row("1", "101", "张三", 1), owner_row("1", "102", "李四", 2, **overrides)]
    errors = check(rows).errors
    assert [(e.row, e.column) for e in errors] == [(3, column)], errors
    assert words in errors[0].message


CROSS_ROW_CASES = [
    (
        "duplicate unit, same owner",
        [owner_row("1", "101", "张三", 1), owner_row("1", "101", "张三", 1)],
        [(3, "房号")],
        "重复的房屋",
    ),
    (
        "duplicate unit, second row without owner",
        [
            owner_row("1", "101", "张三", 1, **{"建筑面积(m²)": "", "面积来源": "未知"}),
            owner_row(
                "1",
                "101",
                "",
                0,
                证件号码="",
                业主类型="",
                电话="",
                **{"建筑面积(m²)": "", "面积来源": "未知"},
            ),
        ],  # fmt: skip
        [(3, "业主姓名")],
        "重复的房屋",
    ),
    (
        "one unit, two areas",
        [
            owner_row("1", "101", "张三", 1, 份额="0.5", 共有人代表="是"),
            owner_row("1", "101", "李四", 2, 份额="0.5", **{"建筑面积(m²)": "70"}),
        ],
        [(3, "建筑面积(m²)")],
        "建筑面积不同",
    ),
    (
        "one unit, two area sources",
        [
            owner_row("1", "101", "张三", 1, 份额="0.5", 共有人代表="是"),
            owner_row("1", "101", "李四", 2, 份额="0.5", 面积来源="测绘"),
        ],
        [(3, "面积来源")],
        "面积来源不同",
    ),
    (
        "co-owned shares sum to 0.9",
        [
            owner_row("1", "101", "张三", 1, 份额="0.5", 共有人代表="是"),
            owner_row("1", "101", "李四", 2, 份额="0.4"),
        ],
        [(2, "份额"), (3, "份额")],
        "合计为 0.9",
    ),
    (
        "co-owned without shares",
        [
            owner_row("1", "101", "张三", 1, 共有人代表="是"),
            owner_row("1", "101", "李四", 2),
        ],
        [(2, "份额"), (3, "份额")],
        "须填写份额",
    ),
    (
        "co-owned with two representatives",
        [
            owner_row("1", "101", "张三", 1, 份额="1/2", 共有人代表="是"),
            owner_row("1", "101", "李四", 2, 份额="1/2", 共有人代表="是"),
        ],
        [(2, "共有人代表"), (3, "共有人代表")],
        "现有 2 位",
    ),
    (
        "co-owned without representative",
        [
            owner_row("1", "101", "张三", 1, 份额="50%"),
            owner_row("1", "101", "李四", 2, 份额="50%"),
        ],
        [(2, "共有人代表"), (3, "共有人代表")],
        "现有 0 位",
    ),
    (
        "same ID number, two names",
        [owner_row("1", "101", "张三", 1), owner_row("1", "102", "张叁", 1)],
        [(3, "业主姓名")],
        "业主冲突",
    ),
    (
        "person ID number given for an organisation",
        [
            owner_row("1", "101", "张三", 1),
            owner_row("1", "102", "张三", 1, 业主类型="单位"),
        ],
        [(3, "证件号码")],
        "统一社会信用代码",
    ),
    (
        "same owner, two phones",
        [owner_row("1", "101", "张三", 1), owner_row("1", "102", "张三", 1, 电话="13900000000")],
        [(3, "电话")],
        "电话不同",
    ),
]


@pytest.mark.parametrize(
    ("rows", "expected", "words"),
    [case[1:] for case in CROSS_ROW_CASES],
    ids=[case[0] for case in CROSS_ROW_CASES],
)
def test_rows_that_contradict_each_other_are_named(rows, expected, words):
    errors = check(rows).errors
    assert [(e.row, e.column) for e in errors] == expected, errors
    assert all(words in e.message for e in errors), errors


def test_every_bad_row_is_reported_not_just_the_first():
    rows = [
        owner_row("1", "101", "张三", 1, **{"建筑面积(m²)": "-1"}),
        owner_row("1", "102", "李四", 2),
        owner_row("9", "103", "王五", 3),
        owner_row("1", "104", "赵六", 4, 证件号码="110105198001010010", 起始日期="昨天"),
    ]
    assert errors_of(rows) == [(2, "建筑面积(m²)"), (4, "楼号"), (5, "证件号码"), (5, "起始日期")]


def test_errors_use_the_header_as_the_file_spells_it():
    headers = [h.replace("建筑面积(m²)", "建筑面积（㎡）") for h in HEADERS]
    rows = [
        {h.replace("建筑面积(m²)", "建筑面积（㎡）"): v for h, v in r.items()}
        for r in [owner_row("1", "101", "张三", 1, **{"建筑面积(m²)": "-3"})]
    ]
    errors = check(rows, headers=headers).errors
    assert [(e.row, e.column) for e in errors] == [(2, "建筑面积（㎡）")]


# --- whole-file problems ------------------------------------------------------------------


def test_missing_required_columns_are_named_in_row_1():
    headers = [h for h in HEADERS if h not in ("证件号码", "面积来源")]
    roster = check([owner_row("1", "101", "张三", 1)], headers=headers)
    assert roster.errors == [RowError(1, "面积来源、证件号码", "缺少必需的列：面积来源、证件号码")]


def test_a_repeated_column_is_an_error():
    headers = [*HEADERS, "房号"]
    roster = check([owner_row("1", "101", "张三", 1)], headers=headers)
    assert [(e.row, e.column) for e in roster.errors] == [(1, "房号")]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "空"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
        (b"PK\x03\x04 this is not a workbook", "XLSX"),
        ("姓名,电话\n张三,1\n".encode(), "找不到表头"),
        (b"\x81\x30\xff\xff\xfe", "编码"),
        (b"\xef\xbb\xbf\xc4\xe3\xba\xc3", "编码"),
    ],
    ids=["empty", "old xls", "broken xlsx", "no header", "undecodable", "BOM but GBK"],
)
def test_unreadable_files_raise_a_specific_error(data, words):
    with pytest.raises(RosterFileError) as error:
        read_table(data)
    assert words in str(error.value)


# --- what is accepted ------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding_excel_writes_in_china(encoding):
    # 䶮 is outside GBK and only GB18030 has it.
    name = "王䶮" if encoding in ("utf-8", "utf-8-sig", "gb18030") else "王晓"
    table = read_table(csv_bytes([owner_row("1", "101", name, 1)], encoding=encoding))
    roster = validate_roster(table, CONTEXT)
    assert roster.errors == []
    assert roster.units[0].owners[0].name == name


def test_xlsx_cells_of_any_type_are_read():
    row = owner_row(
        1,
        101,
        "张三",
        1,
        **{
            "建筑面积(m²)": 65.5,
            "起始日期": dt.datetime(2020, 5, 1),
            "份额": 1,
            "电话": 13800138000,
        },
    )
    roster = validate_roster(read_table(xlsx_bytes([row], title_row="某小区业主名册")), CONTEXT)
    assert roster.errors == []
    (unit,) = roster.units
    assert (unit.building, unit.number, unit.floor_area) == ("1", "101", Decimal("65.50"))
    assert unit.owners[0].valid_from == dt.date(2020, 5, 1)
    assert unit.owners[0].phone == "13800138000"


def test_xlsx_row_numbers_count_title_and_blank_rows():
    rows = [owner_row("1", "101", "张三", 1), {}, owner_row("1", "102", "李四", 2, 楼号="77")]
    roster = validate_roster(read_table(xlsx_bytes(rows, title_row="名册")), CONTEXT)
    assert [(e.row, e.column) for e in roster.errors] == [(5, "楼号")]


def test_id_number_typed_as_a_number_in_excel_is_caught():
    row = owner_row("1", "101", "张三", 1, 证件号码=1.10105198001e17)
    roster = validate_roster(read_table(xlsx_bytes([row])), CONTEXT)
    assert [(e.column, "存成了数字" in e.message) for e in roster.errors] == [("证件号码", True)]


def test_lenient_spellings():
    rows = [
        owner_row("1号楼", "101", "张三", 1, 证件号码=make_id(1).lower()[:-1] + make_id(1)[-1]),
        owner_row("2", "201", "甲", 2, 份额="1/3", 共有人代表="是", 面积来源="测绘面积"),
        owner_row("2", "201", "乙", 3, 份额="1/3", 面积来源="测绘面积"),
        owner_row("2", "201", "丙", 4, 份额="1/3", 面积来源="测绘面积"),
        owner_row("1", "102", "", 0, 产权单位="北京某研究所", 证件号码="", 业主类型="", 电话=""),
        owner_row("1", "103", "某公司", 0, 业主类型="单位", 证件号码="91110000802100433B"),
        owner_row(
            "1", "104", "", 0, 证件号码="", 业主类型="", 电话="",
            **{"建筑面积(m²)": "", "面积来源": "未知"},
        ),
    ]  # fmt: skip
    roster = check(rows)
    assert roster.errors == []
    units = {(u.building, u.number): u for u in roster.units}
    assert ("1", "101") in units
    assert [o.share for o in units[("2", "201")].owners] == [Decimal("0.3333")] * 3
    assert [o.is_representative for o in units[("2", "201")].owners] == [True, False, False]
    (pru_owner,) = units[("1", "102")].owners
    assert (pru_owner.kind, pru_owner.name) == (OwnerKind.ORGANISATION, "北京某研究所")
    assert units[("1", "103")].owners[0].id_number == "91110000802100433B"
    assert units[("1", "104")].owners == []


def test_english_and_full_width_headers_are_accepted():
    headers = ["Building", "Unit", "Floor area", "Area source", "Owner name", "ID number"]
    rows = [
        {
            "Building": "1",
            "Unit": "101",
            "Floor area": "５０.２",
            "Area source": "contract",
            "Owner name": "张三",
            "ID number": make_id(1),
        }
    ]
    roster = check(rows, headers=headers)
    assert roster.errors == []
    assert roster.units[0].floor_area == Decimal("50.20")


def test_our_export_formula_guard_is_removed_on_reading():
    roster = check([owner_row("1", "101", "张三", 1, 电话="'+8613800138000")])
    assert roster.units[0].owners[0].phone == "+8613800138000"


# --- ID numbers and credit codes ----------------------------------------------------------


def test_legacy_15_digit_id_is_upgraded_to_18():
    assert normalise_id_number("110105491231002", today=TODAY) == "11010519491231002X"


def test_id_check_character_x_accepted_in_either_case():
    assert normalise_id_number("11010519491231002x", today=TODAY) == "11010519491231002X"


@pytest.mark.parametrize("code", ["9144030071526726XG", "914403001922038216"])
def test_real_credit_codes_pass(code):
    assert normalise_credit_code(code) == code


def test_credit_code_with_forbidden_letter_fails():
    with pytest.raises(ValueError, match="不含I"):
        normalise_credit_code("91440300715267260I")


def test_excel_unicode_text_utf16_tab_separated_is_read():
    rows = [owner_row("1", "101", "张三", 1)]
    text = "\r\n".join("\t".join(str(c) for c in cells) for cells in table_cells(rows))
    table = read_table(text.encode("utf-16"))
    assert table.source == "CSV utf-16"
    assert validate_roster(table, CONTEXT).errors == []
