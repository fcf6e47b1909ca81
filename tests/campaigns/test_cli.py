"""`flask campaigns import`: the same checks and import as the staff page, from a file on disk."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.campaigns.models import ImportBatch, ShopInvitation
from registry.extensions import db
from registry.merchants.models import Merchant

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def test_check_only_reports_each_problem_and_imports_nothing(runner, make_user, mixed_file, tmp_path):
    make_user(role="staff", login="staff@campaigns.example.cn")
    path = tmp_path / "名单.csv"
    path.write_bytes(mixed_file.csv("gbk"))

    result = runner.invoke(args=["campaigns", "import", str(path), "--staff", "staff@campaigns.example.cn"])

    assert result.exit_code == 0, result.output
    assert "line 9: contact_phone: 手机号码应为 11 位数字，您输入了 10 位。" in result.output
    assert "9 rows, 3 valid, 6 with problems" in result.output
    assert db.session.scalar(select(func.count(Merchant.id))) == 1
    assert db.session.scalars(select(ImportBatch.status)).all() == ["validated"]


def test_import_valid_creates_the_shops_with_invitations(runner, make_user, mixed_file, tmp_path):
    make_user(role="staff", login="staff@campaigns.example.cn")
    path = tmp_path / "名单.xlsx"
    path.write_bytes(mixed_file.xlsx())

    result = runner.invoke(args=["campaigns", "import", str(path), "--staff", "staff@campaigns.example.cn",
                                 "--import-valid"])

    assert result.exit_code == 0, result.output
    assert "Imported 3 shops" in result.output
    db.session.expire_all()
    codes = set(db.session.scalars(select(Merchant.credit_code).where(Merchant.owner_id.is_(None))))
    assert codes == mixed_file.valid_codes
    assert db.session.scalar(select(func.count(ShopInvitation.id))) == 3


def test_a_merchant_login_or_an_unreadable_file_is_refused(runner, make_user, tmp_path):
    merchant = make_user()
    make_user(role="staff", login="staff@campaigns.example.cn")
    path = tmp_path / "bad.csv"
    path.write_bytes(b"a,b\n1,2\n")

    as_merchant = runner.invoke(args=["campaigns", "import", str(path), "--staff", merchant.login])
    bad_file = runner.invoke(args=["campaigns", "import", str(path), "--staff", "staff@campaigns.example.cn"])

    assert as_merchant.exit_code != 0 and "No staff account" in as_merchant.output
    assert bad_file.exit_code != 0 and "没有找到表头" in bad_file.output
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 0
