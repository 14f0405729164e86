"""The catalogue from an operator's shell: `miniapp db upgrade`, then `miniapp catalog import`."""

from __future__ import annotations

import sqlite3

from miniapp_api.demo.catalog import demo_catalogue_csv
from tests.test_cli import _miniapp


def test_upgrade_creates_the_six_categories_and_a_sheet_imports_into_them(tmp_path):
    database = tmp_path / "x.sqlite3"
    env = {"SECRET_KEY": "x" * 32, "DATABASE_URL": f"sqlite:///{database}"}
    sheet = tmp_path / "catalogue.csv"
    sheet.write_bytes(demo_catalogue_csv())

    upgrade = _miniapp("db", "upgrade", **env)
    imported = _miniapp("catalog", "import", str(sheet), **env)
    missing = _miniapp("catalog", "import", str(tmp_path / "nowhere.csv"), **env)

    assert upgrade.returncode == 0, upgrade.stderr
    assert imported.returncode == 0, imported.stderr
    assert "created" in imported.stdout
    assert missing.returncode != 0 and "no such file" in missing.stderr
    with sqlite3.connect(database) as connection:
        names = [n for (n,) in connection.execute("SELECT name FROM categories ORDER BY position")]
        products = connection.execute("SELECT count(*) FROM products").fetchone()[0]
    assert names == ["米面粮油", "调味干货", "休闲食品", "禽畜肉蛋", "鲜果蔬菜", "组合套餐"]
    assert products >= 200
