"""The shop's statement and credit repair through the pages: the owner's forms, the staff review pages,
and what the QR page, the API and the open data say once a repair is granted."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from registry.clock import china_date
from registry.extensions import db
from registry.moderation import repairs, sanctions, statements
from registry.moderation.models import CreditRepair, Sanction, SanctionStatement
from registry.opendata import services as opendata
from registry.uploads import process_image

from .helpers import count, flashes, jpeg_bytes, plain, qr_page, reason, text

pytestmark = pytest.mark.usefixtures("fresh_request_globals")

RECTIFIED = "已下架全部涉事商品，更换了供货商，并组织店员学习诚信经营倡议书。"


def _warning(world):
    warning = sanctions.issue_warning(world.shop, world.staff, reason())
    db.session.commit()
    return warning


# --- The owner's statement ---------------------------------------------------------------------------

def test_the_owner_writes_and_edits_a_statement_from_the_shop_page(client, world, login_as):
    warning = _warning(world)
    login_as(client, world.owner)
    desk = text(client.get(f"/my/shops/{world.shop.id}"))
    assert f"/my/sanctions/{warning.id}/statement" in desk and "发表说明" in desk
    url = f"/my/sanctions/{warning.id}/statement"
    assert "您的说明" in text(client.get(url))
    long = client.post(url, data={"body": "字" * 201})
    assert long.status_code == 400 and "说明最多 200 个字。" in text(long) and "字" * 201 in text(long)
    assert count(SanctionStatement) == 0
    saved = client.post(url, data={"body": "商品已下架，欢迎监督。"})
    assert saved.status_code == 302
    assert "说明已发布" in " ".join(flashes(text(client.get(saved.headers["Location"]))))
    statement = db.session.scalar(select(SanctionStatement))
    form = text(client.get(url))
    assert "商品已下架，欢迎监督。" in form and f'value="{statement.version}"' in form
    edited = client.post(url, data={"body": "已整改完毕。", "version": str(statement.version)})
    assert edited.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(SanctionStatement)).body == "已整改完毕。"
    # The form of before the edit is stale: sent back with the reason, nothing overwritten.
    stale = client.post(url, data={"body": "旧的说明。", "version": str(statement.version - 1)})
    assert stale.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(SanctionStatement)).body == "已整改完毕。"


def test_another_merchant_cannot_write_a_statement(client, world, login_as):
    warning = _warning(world)
    login_as(client, world.other_owner)
    assert client.get(f"/my/sanctions/{warning.id}/statement").status_code == 403
    assert client.post(f"/my/sanctions/{warning.id}/statement", data={"body": "冒名说明"}).status_code == 403
    assert count(SanctionStatement) == 0


def test_staff_approve_held_statements_and_hide_others(client, world, login_as):
    warning = _warning(world)
    held = statements.write_statement(warning, world.owner, "请拨打 13912345678 找店长。")
    db.session.commit()
    login_as(client, world.staff)
    page = text(client.get("/staff/statements"))
    assert "找店长" in page and "13912345678" not in page
    assert client.post(f"/staff/statements/{held.id}/approve").status_code == 302
    db.session.expire_all()
    assert db.session.get(SanctionStatement, held.id).held_for_review is False
    bare = client.post(f"/staff/statements/{held.id}/hide?view=published", data={"reason": ""})
    assert bare.status_code == 400 and "请填写公开的隐藏原因。" in text(bare)
    hidden = client.post(f"/staff/statements/{held.id}/hide", data={"reason": "与处理无关。"})
    assert hidden.status_code == 302
    db.session.expire_all()
    assert db.session.get(SanctionStatement, held.id).hidden_reason == "与处理无关。"
    assert "与处理无关。" in qr_page(client, world.shop)


def test_staff_of_another_district_cannot_review_statements(client, world, login_as):
    warning = _warning(world)
    statement = statements.write_statement(warning, world.owner, "请拨打 13912345678 找店长。")
    db.session.commit()
    login_as(client, world.staff_elsewhere)
    assert "找店长" not in text(client.get("/staff/statements"))
    assert client.post(f"/staff/statements/{statement.id}/approve").status_code == 403
    assert client.post(f"/staff/statements/{statement.id}/hide", data={"reason": "无关"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(SanctionStatement, statement.id).held_for_review is True


# --- Credit repair -----------------------------------------------------------------------------------

def test_the_owner_applies_for_repair_after_the_minimum_period(client, world, login_as, frozen, evidence_dir):
    warning = _warning(world)
    login_as(client, world.owner)
    url = f"/my/sanctions/{warning.id}/repair"
    early = plain(text(client.get(url)))
    assert "满 6 个月" in early and "提交信用修复申请" not in early
    frozen.advance(days=190)
    assert "整改情况" in text(client.get(url))
    no_photo = client.post(url, data={"text": RECTIFIED})
    assert no_photo.status_code == 400 and "请上传至少 1 张整改证明照片。" in text(no_photo)
    assert RECTIFIED in text(no_photo) and count(CreditRepair) == 0
    sent = client.post(url, content_type="multipart/form-data",
                       data={"text": RECTIFIED, "photos": [(io.BytesIO(jpeg_bytes()), "整改.jpg")]})
    assert sent.status_code == 302
    repair = db.session.scalar(select(CreditRepair))
    assert (repair.rectification, len(repair.photos)) == (RECTIFIED, 1)
    assert "待处理" in plain(text(client.get(f"/my/shops/{world.shop.id}")))


def _applied(world, frozen):
    warning = _warning(world)
    frozen.advance(days=190)
    repair = repairs.apply_for_repair(db.session.get(Sanction, warning.id), world.owner, RECTIFIED,
                                      [process_image(io.BytesIO(jpeg_bytes()), "整改.jpg")])
    db.session.commit()
    return warning, repair


def test_staff_grant_a_repair_and_every_public_view_says_so(app, client, world, login_as, frozen, evidence_dir,
                                                          tmp_path):
    warning, repair = _applied(world, frozen)
    login_as(client, world.staff)
    listing = text(client.get("/staff/repairs"))
    assert world.shop.name in listing and f"/staff/repairs/{repair.id}" in listing
    page = text(client.get(f"/staff/repairs/{repair.id}"))
    assert RECTIFIED in page and f"/staff/repairs/photos/{repair.photos[0].id}" in page
    photo = client.get(f"/staff/repairs/photos/{repair.photos[0].id}")
    assert photo.status_code == 200 and photo.headers["Cache-Control"] == "no-store"
    photo.close()
    bare = client.post(f"/staff/repairs/{repair.id}/decide", data={"decide-decision": "grant", "decide-note": ""})
    assert bare.status_code == 400 and "请填写处理说明" in text(bare)
    done = client.post(f"/staff/repairs/{repair.id}/decide",
                       data={"decide-decision": "grant", "decide-note": "整改到位，准予修复。"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(CreditRepair, repair.id).status == "granted"
    day = china_date(frozen.now).isoformat()

    client.post("/logout")
    qr = plain(qr_page(client, world.shop))
    assert "经信用修复，" in qr and f"{day} 提前结束" in qr
    body = client.get(f"/api/v1/shops/{world.shop.public_code}").get_json()
    assert body["standing"] == "active"
    mark = next(s for s in body["sanctions"] if s["kind"] == "warning")
    assert (mark["end_reason"], mark["repaired_on"], mark["in_force"]) == ("repaired", day, False)
    assert body["repaired_on"] == day
    found = client.get("/api/v1/shops", query_string={"q": world.shop.name}).get_json()["items"]
    assert [i["repaired_on"] for i in found if i["code"] == world.shop.public_code] == [day]
    search = plain(text(client.get("/search", query_string={"q": world.shop.name})))
    assert "经信用修复" in search and f"{day} 提前结束" in search

    app.config["OPENDATA_DIR"] = str(tmp_path / "opendata")
    opendata.export(frozen.now.date(), now=frozen.now)
    folder = tmp_path / "opendata"
    rows = list(csv.DictReader(io.StringIO(next(folder.glob("sanctions-*.csv")).read_text(encoding="utf-8-sig"))))
    assert [(r["end_reason"], r["repaired_on"]) for r in rows if r["shop_code"] == world.shop.public_code] == [
        ("repaired", day)]
    document = json.loads(next(folder.glob("standings-*.json")).read_text(encoding="utf-8"))
    assert any(s["repaired_on"] == day for s in document["sanctions"])


def test_the_second_officer_approves_a_revoked_shops_repair_through_the_page(client, world, login_as, frozen,
                                                                            evidence_dir):
    revocation = sanctions.propose_revocation(world.shop, world.staff, reason())
    db.session.commit()
    sanctions.approve_proposal(revocation, world.staff2)
    db.session.commit()
    frozen.advance(days=190)
    repair = repairs.apply_for_repair(db.session.get(Sanction, revocation.id), world.owner, RECTIFIED,
                                      [process_image(io.BytesIO(jpeg_bytes()), "整改.jpg")])
    db.session.commit()
    login_as(client, world.staff)
    client.post(f"/staff/repairs/{repair.id}/decide", data={"decide-decision": "grant", "decide-note": "同意修复。"})
    own = client.post(f"/staff/repairs/{repair.id}/approve")
    assert own.status_code == 302
    assert "不能批准自己提出的信用修复" in " ".join(flashes(text(client.get(own.headers["Location"]))))
    db.session.expire_all()
    assert db.session.get(CreditRepair, repair.id).status == "proposed"
    login_as(client, world.staff2)
    assert client.post(f"/staff/repairs/{repair.id}/approve").status_code == 302
    db.session.expire_all()
    assert db.session.get(CreditRepair, repair.id).status == "granted"
    assert db.session.get(Sanction, revocation.id).end_reason == "repaired"


def test_staff_of_another_district_cannot_see_or_decide_repairs(client, world, login_as, frozen, evidence_dir):
    _warning_row, repair = _applied(world, frozen)
    login_as(client, world.staff_elsewhere)
    assert world.shop.name not in text(client.get("/staff/repairs"))
    assert client.get(f"/staff/repairs/{repair.id}").status_code == 403
    assert client.get(f"/staff/repairs/photos/{repair.photos[0].id}").status_code == 403
    refused = client.post(f"/staff/repairs/{repair.id}/decide", data={"decide-decision": "grant", "decide-note": "好"})
    assert refused.status_code == 403
    login_as(client, world.owner)
    assert client.get(f"/staff/repairs/{repair.id}").status_code == 403
    db.session.expire_all()
    assert db.session.get(CreditRepair, repair.id).status == "pending"
