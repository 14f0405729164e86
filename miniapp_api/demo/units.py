"""Demo units and admin accounts: a realistic tree with valid credit codes (units issue)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from miniapp_api.services.admins import create_admin
from models.credit_code import check_character
from models.unit import Unit

# (name, budget level, region code, 1 = 机关 / 2 = 事业单位, children)
Tree = tuple[str, str, str, str, list["Tree"]]
DEMO_TREE: list[Tree] = [
    ("河南省财政厅", "provincial", "410000", "1", [
        ("郑州市财政局", "municipal", "410100", "1", [
            ("郑州市公安局", "municipal", "410100", "1", []),
            ("郑州市卫生健康委员会", "municipal", "410100", "1", [
                ("郑州市第一人民医院", "municipal", "410100", "2", []),
            ]),
            ("郑州幼儿师范高等专科学校", "municipal", "410100", "2", []),
            ("郑州市林业局", "municipal", "410100", "1", []),
            ("新郑市财政局", "county", "410184", "1", [
                ("新郑市教育局", "county", "410184", "1", [
                    ("新郑市第一中学", "county", "410184", "2", []),
                    ("新郑市实验小学", "county", "410184", "2", []),
                ]),
                ("新郑市人民医院", "county", "410184", "2", []),
                ("新郑市龙湖镇人民政府", "township", "410184", "1", []),
            ]),
            ("巩义市财政局", "county", "410181", "1", [
                ("巩义市第二高级中学", "county", "410181", "2", []),
            ]),
        ]),
    ]),
    ("广东省财政厅", "provincial", "440000", "1", [
        ("广州市财政局", "municipal", "440100", "1", [
            ("广州市教育局", "municipal", "440100", "1", []),
            ("广州市第一人民医院", "municipal", "440100", "2", []),
        ]),
        ("梅州市财政局", "municipal", "441400", "1", [
            ("梅州市人民医院", "municipal", "441400", "2", []),
        ]),
    ]),
]  # fmt: skip

# username, password, role, unit name
DEMO_ADMINS = [
    ("platform", "platform-demo-1", "platform_admin", None),
    ("henan-finance", "finance-demo-1", "finance_admin", "河南省财政厅"),
    ("zz-finance", "finance-demo-2", "finance_admin", "郑州市财政局"),
    ("zz-police", "unit-demo-1", "unit_admin", "郑州市公安局"),
    ("zz-police-union", "union-demo-1", "union_admin", "郑州市公安局"),
]


def demo_credit_code(region: str, kind: str, sequence: int) -> str:
    """A code with the shape of a real one: 1 (机构编制) + kind + region + organisation code."""
    body = f"1{kind}{region}{sequence:09d}"
    return body + check_character(body)


def load_demo_units(session: Session) -> list[str]:
    units: dict[str, Unit] = {}
    sequence = iter(range(10_000_001, 10_100_000))

    def plant(nodes: list[Tree], parent: Unit | None) -> None:
        for name, level, region, kind, children in nodes:
            unit = Unit(
                name=name,
                budget_level=level,
                credit_code=demo_credit_code(region, kind, next(sequence)),
                contact_name="王老师" if kind == "2" else "李科长",
                contact_mobile="13800138000",
            )
            session.add(unit)
            session.flush()
            unit.place_under(parent)
            units[name] = unit
            plant(children, unit)

    plant(DEMO_TREE, None)
    session.flush()
    for username, password, role, unit_name in DEMO_ADMINS:
        unit_ref = units[unit_name].credit_code if unit_name else None
        create_admin(session, username=username, password=password, role=role, unit_ref=unit_ref)

    police, zhengzhou = units["郑州市公安局"], units["郑州市财政局"]
    # comments, so that pasting the whole walkthrough into a shell runs it
    logins = "\n".join(
        f"  #   {username:<16} {password:<16} {role:<15} {unit_name or '(平台)'}"
        for username, password, role, unit_name in DEMO_ADMINS
    )
    return [
        f"""
  # 5. bind to your unit (郑州市公安局) by its credit code, then see it in /me
  curl -s -X PUT $API/api/v1/me/unit -H "Authorization: Bearer $TOKEN" \\
      -H 'Content-Type: application/json' -d '{{"credit_code": "{police.credit_code}"}}'

  # Demo admin logins (POST /api/v1/admin/auth/login): username, password, role, unit
{logins}

  # 6. log in as the Henan finance department's admin; it sees its whole tree (本级及下级)
  ADMIN=$(curl -s -X POST $API/api/v1/admin/auth/login -H 'Content-Type: application/json' \\
      -d '{{"username": "henan-finance", "password": "finance-demo-1"}}' \\
      | python3 -c 'import sys, json; print(json.load(sys.stdin)["token"])')
  curl -s $API/api/v1/admin/units/{zhengzhou.id}/children -H "Authorization: Bearer $ADMIN\""""
    ]
