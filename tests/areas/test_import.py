"""Door-to-door imports choose from the list: common spellings are read as the canonical names, unknown
ones are refused row by row with the choices; `flask areas load` fills the list from a CSV."""

from __future__ import annotations

from sqlalchemy import select

from registry.areas.models import District
from registry.campaigns import imports
from registry.extensions import db
from registry.merchants.models import Merchant
from tests.campaigns.conftest import csv_text, full_width, import_valid, shop_row


def test_alias_spellings_import_under_the_canonical_names(app, make_user):
    admin = make_user(role="admin")
    rows = [shop_row(district="西湖 区", township="转塘"), shop_row(district=full_width("西湖区"), township="双浦镇"),
            shop_row(district="西湖", township="转塘街道办事处")]

    batch = imports.upload_batch("名单.csv", csv_text(rows).encode(), admin)
    import_valid(batch, admin)
    db.session.commit()

    assert [row["errors"] for row in batch.rows] == [{}, {}, {}]
    assert batch.rows[0]["normalized"] == {"district": "西湖区", "township": "转塘街道"}
    assert db.session.execute(select(Merchant.district, Merchant.township).order_by(Merchant.id)).all() == [
        ("西湖区", "转塘街道"), ("西湖区", "双浦镇"), ("西湖区", "转塘街道")]


def test_unknown_districts_and_townships_are_refused_per_row(app, make_user):
    admin = make_user(role="admin")
    rows = [shop_row(), shop_row(district="不存在区"), shop_row(township="不存在街道")]

    batch = imports.upload_batch("名单.csv", csv_text(rows).encode(), admin)

    errors = [row["errors"] for row in batch.rows]
    assert errors[0] == {}
    assert errors[1]["district"][0].startswith("区县“不存在区”不在名单中。可以填写：上城区、拱墅区、西湖区")
    assert errors[2] == {"township": ["西湖区没有“不存在街道”这个乡镇（街道）。可以填写：北山街道、西溪街道、灵隐街道、翠苑街道、"
                                      "文新街道、古荡街道、转塘街道、留下街道、蒋村街道、三墩镇、双浦镇。"]}


def test_the_cli_loads_a_csv_list_once(app, runner, tmp_path):
    path = tmp_path / "areas.csv"
    path.write_text("区县,乡镇,其他写法\n高新区,,高新技术开发区\n高新区,长江街道,长江路街道\n高新,江北街道,\n",
                    encoding="utf-8-sig")

    first = runner.invoke(args=["areas", "load", str(path)])
    second = runner.invoke(args=["areas", "load", str(path)])

    assert first.exit_code == 0, first.output
    assert "Added 1 districts, 2 townships, 2 spellings." in first.output
    assert "Added 0 districts, 0 townships, 0 spellings." in second.output
    district = db.session.scalar(select(District).where(District.name == "高新区"))
    assert district.alias_list == ["高新技术开发区"]
    assert [(t.name, t.alias_list) for t in district.townships] == [("长江街道", ["长江路街道"]), ("江北街道", [])]
    listed = runner.invoke(args=["areas", "list"]).output
    assert "高新区,长江街道,长江路街道" in listed
