"""Importing the platform's unit sheet: every row checked, all written or none."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from miniapp_api.services.sheets import ImportRejected
from miniapp_api.services.totals import unit_figures, verify_totals
from miniapp_api.services.units_import import import_units
from models import Unit, db
from tests.factories import credit_code, make_entry, make_unit, sheet

HEADER_ZH = [
    "预算单位名称",
    "上级预算单位名称",
    "预算单位统一信用代码",
    "预算级次",
    "联系人",
    "联系人手机号",
]
HEADER_EN = [
    "name",
    "parent_credit_code",
    "credit_code",
    "budget_level",
    "contact_name",
    "contact_mobile",
]


def _import(rows, filename="units.xlsx", **kwargs):
    return import_units(db.session, *sheet(rows, filename), **kwargs)


def _unit(name: str) -> Unit:
    return db.session.scalars(select(Unit).where(Unit.name == name)).one()


def _unit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Unit))


def _rejected_rows(rows, **kwargs) -> dict[int, list[str]]:
    before = _unit_count()
    with pytest.raises(ImportRejected) as rejected:
        _import(rows, **kwargs)
    db.session.rollback()
    assert _unit_count() == before, "a rejected import must write nothing"
    return {r.row: r.errors for r in rejected.value.report.rows if r.status == "error"}


def test_a_chinese_sheet_builds_the_tree_with_superiors_defined_earlier_in_the_file():
    report = _import(
        [
            HEADER_ZH,
            ["河南省财政厅", "", credit_code(1), "省级", "张三", "13800138000"],
            ["郑州市财政局", "河南省财政厅", credit_code(2), "市级", "", ""],
            ["郑州市公安局", "郑州市财政局", credit_code(3), "市级", "李四", "139 0013 9000"],
        ]
    )

    assert (report.created, report.updated) == (3, 0)
    province, city, police = _unit("河南省财政厅"), _unit("郑州市财政局"), _unit("郑州市公安局")
    assert police.parent_id == city.id and city.parent_id == province.id
    assert police.path == f"{province.id}/{city.id}/{police.id}/"
    assert (police.depth, police.budget_level) == (2, "municipal")
    assert police.contact_mobile == "13900139000"
    assert province.contact_name == "张三"


def test_a_csv_with_english_headers_finds_a_stored_superior_by_credit_code():
    province = make_unit("河南省财政厅", credit_code=credit_code(1), budget_level="provincial")

    _import(
        [
            HEADER_EN,
            ["新郑市第一中学", credit_code(1), f" {credit_code(5).lower()} ", "county", "", ""],
        ],
        filename="units.csv",
    )

    school = _unit("新郑市第一中学")
    assert school.parent_id == province.id
    assert school.credit_code == credit_code(5), "codes are trimmed and upper-cased"


def test_every_kind_of_bad_row_is_reported_with_its_row_number_and_nothing_is_written():
    make_unit("已有单位", credit_code=credit_code(90))
    bad_check = credit_code(7)[:17] + ("0" if credit_code(7)[17] != "0" else "1")
    errors = _rejected_rows(
        [
            HEADER_ZH,
            ["好单位", "", credit_code(1), "省级", "", ""],  # row 2: fine
            ["", "", credit_code(2), "省级", "", ""],  # 3: no name
            ["短代码单位", "", "12345", "省级", "", ""],  # 4: length
            ["字符单位", "", credit_code(3)[:5] + "I" + credit_code(3)[6:], "省级", "", ""],  # 5
            ["校验位单位", "", bad_check, "省级", "", ""],  # 6: check character
            ["重复单位", "", credit_code(1), "省级", "", ""],  # 7: same code as row 2
            ["无上级单位", "不存在的上级", credit_code(8), "县级", "", ""],  # 8: unknown superior
            ["早到单位", "晚到上级", credit_code(9), "县级", "", ""],  # 9: superior comes later
            ["晚到上级", "", credit_code(10), "省级", "", ""],  # 10: fine
            ["级次单位", "", credit_code(11), "村级", "", ""],  # 11: level
            ["手机单位", "", credit_code(12), "县级", "", "1234567"],  # 12: mobile
            ["已有单位", "", credit_code(13), "县级", "", ""],  # 13: same name, other code
        ]
    )

    assert set(errors) == {3, 4, 5, 6, 7, 8, 9, 11, 12, 13}
    assert "名称不能为空" in errors[3][0]
    assert "18位" in errors[4][0]
    assert "不允许的字符" in errors[5][0]
    assert "校验位" in errors[6][0]
    assert "第2行重复" in errors[7][0]
    assert "不存在" in errors[8][0]
    assert "不存在" in errors[9][0]
    assert "预算级次" in errors[11][0]
    assert "手机号" in errors[12][0]
    assert credit_code(90) in errors[13][0]


def test_a_row_with_several_problems_gets_every_one():
    errors = _rejected_rows([HEADER_ZH, ["", "", "XYZ", "", "", "999"]])

    assert len(errors[2]) == 4  # name, code, level, mobile


def test_reimporting_updates_units_instead_of_duplicating_them():
    rows = [
        HEADER_ZH,
        ["河南省财政厅", "", credit_code(1), "省级", "张三", ""],
        ["某县食堂中心", "河南省财政厅", "", "县级", "", ""],
    ]
    _import(rows)

    report = _import(
        [
            HEADER_ZH,
            ["河南省财政厅（更名）", "", credit_code(1), "省级", "王五", "13700137000"],
            ["某县食堂中心", "河南省财政厅（更名）", "", "县级", "赵六", ""],
        ]
    )

    assert (report.created, report.updated) == (0, 2)
    assert _unit_count() == 2
    renamed = db.session.scalars(select(Unit).where(Unit.credit_code == credit_code(1))).one()
    assert (renamed.name, renamed.contact_name) == ("河南省财政厅（更名）", "王五")
    assert _unit("某县食堂中心").contact_name == "赵六"


def test_reimporting_a_unit_under_a_new_superior_moves_everything_below_it():
    a = make_unit("甲市财政局", credit_code=credit_code(1))
    b = make_unit("乙市财政局", credit_code=credit_code(2))
    school = make_unit("某学校", a, credit_code=credit_code(3))
    canteen = make_unit("某学校食堂", school)

    _import([HEADER_EN, ["某学校", credit_code(2), credit_code(3), "county", "", ""]])

    db.session.expire_all()
    assert school.parent_id == b.id
    assert canteen.path == f"{b.id}/{school.id}/{canteen.id}/"
    assert canteen.depth == 2


def test_moving_a_unit_moves_its_counted_figures_to_the_new_superiors_subtree():
    a = make_unit("甲市财政局", credit_code=credit_code(1))
    b = make_unit("乙市财政局", credit_code=credit_code(2))
    school = make_unit("某学校", a, credit_code=credit_code(3))
    canteen = make_unit("某学校食堂", school)
    make_entry(school, 10_000)
    make_entry(canteen, 2_500, source="personal")

    _import([HEADER_EN, ["某学校", credit_code(2), credit_code(3), "county", "", ""]])

    assert unit_figures(db.session, a, 2026).subtree.total == 0
    assert unit_figures(db.session, b, 2026).subtree.total == 12_500
    assert unit_figures(db.session, school, 2026).own.total == 10_000, "own figures stay"
    assert verify_totals(db.session) == []


def test_a_unit_cannot_be_moved_under_its_own_subordinate():
    a = make_unit("甲市财政局", credit_code=credit_code(1))
    make_unit("甲市某学校", a, credit_code=credit_code(2))

    errors = _rejected_rows(
        [HEADER_EN, ["甲市财政局", credit_code(2), credit_code(1), "municipal", "", ""]]
    )

    assert "下级" in errors[2][0]


def test_a_finance_admin_imports_only_below_their_own_unit():
    province = make_unit("河南省财政厅", credit_code=credit_code(1))
    other = make_unit("广东省财政厅", credit_code=credit_code(2))

    errors = _rejected_rows(
        [
            HEADER_EN,
            ["新县财政局", credit_code(1), credit_code(3), "county", "", ""],  # fine
            ["外省学校", credit_code(2), credit_code(4), "county", "", ""],  # outside
            ["新根单位", "", credit_code(5), "provincial", "", ""],  # a root
            ["广东省财政厅", "", credit_code(2), "provincial", "", ""],  # not theirs
        ],
        scope=province,
    )

    assert set(errors) == {3, 4, 5}
    assert other.parent_id is None


def test_a_file_without_the_required_columns_is_refused_as_a_whole():
    with pytest.raises(ImportRejected) as refused:
        _import([["name", "contact_name"], ["某单位", "张三"]])

    assert "budget_level" in refused.value.report.errors[0]
