"""districts and townships: the managed list, filled from the names already in use

Revision ID: 5534c1b6c4eb
Revises: f740e6c67947
Create Date: 2026-12-06 04:30:00.000000

Seeds nothing new: the districts and townships that shops, staff scopes, consultations and import
batches already use are put on the list, so every stored name stays valid. Spellings of one name
("西湖 区", full-width "西湖区", "西湖") are merged onto one canonical name (the one with its 区/县/街道
suffix, then the most used) and the rows that used another spelling are rewritten to it. The matching
rules are copied from registry/areas/spelling.py as they were when this revision was written.
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5534c1b6c4eb'
down_revision = 'f740e6c67947'
branch_labels = None
depends_on = None

DISTRICT_SUFFIXES = ("自治县", "自治旗", "林区", "区", "县", "市", "旗")
TOWNSHIP_SUFFIXES = ("街道办事处", "街道办", "民族乡", "街道", "镇", "乡", "苏木")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def _clean(text):
    return "".join(unicodedata.normalize("NFKC", text or "").translate(_INVISIBLE).split())[:64]


def _stem(name, suffixes):
    key = name.casefold()
    for suffix in suffixes:
        if key.endswith(suffix) and len(key) - len(suffix) >= 2:
            return key[:-len(suffix)]
    return key


def _canonical(counts: Counter, suffixes) -> dict[str, str]:
    """Spelling as stored → canonical name, for every spelling in `counts` (spelling → rows using it)."""
    groups: dict[str, Counter] = {}
    for spelling, count in counts.items():
        name = _clean(spelling)
        if name:
            groups.setdefault(_stem(name, suffixes), Counter())[spelling] += count
    mapping = {}
    for spellings in groups.values():
        by_name = Counter()
        for spelling, count in spellings.items():
            by_name[_clean(spelling)] += count
        best = max(by_name, key=lambda name: (name.casefold().endswith(suffixes), by_name[name], -len(name), name))
        for spelling in spellings:
            mapping[spelling] = best
    return mapping


_merchants = sa.table("merchants", sa.column("district", sa.String), sa.column("township", sa.String),
                      sa.column("version", sa.Integer))
_users = sa.table("users", sa.column("district", sa.String))
_consultations = sa.table("consultations", sa.column("district", sa.String), sa.column("township", sa.String))
_batches = sa.table("import_batches", sa.column("district", sa.String))
_districts = sa.table("districts", sa.column("id", sa.Integer), sa.column("name", sa.String),
                      sa.column("aliases", sa.Text), sa.column("is_active", sa.Boolean),
                      sa.column("created_at", sa.DateTime(timezone=True)))
_townships = sa.table("townships", sa.column("district_id", sa.Integer), sa.column("name", sa.String),
                      sa.column("aliases", sa.Text), sa.column("is_active", sa.Boolean),
                      sa.column("created_at", sa.DateTime(timezone=True)))


def _import_names_in_use(conn) -> None:
    district_counts = Counter()
    for table in (_merchants, _users, _consultations, _batches):
        for name, count in conn.execute(sa.select(table.c.district, sa.func.count()).group_by(table.c.district)):
            if name:
                district_counts[name] += count
    districts = _canonical(district_counts, DISTRICT_SUFFIXES)
    for table in (_merchants, _users, _consultations, _batches):
        for spelling, name in districts.items():
            if spelling != name:
                values = {"district": name}
                if table is _merchants:  # stale shop forms must not write the old spelling back
                    values["version"] = _merchants.c.version + 1
                conn.execute(table.update().where(table.c.district == spelling).values(**values))

    now = datetime.now(timezone.utc)
    ids = {}
    uses = Counter()
    for spelling, name in districts.items():
        uses[name] += district_counts[spelling]
    for name in sorted(uses, key=lambda name: (-uses[name], name)):  # the busiest district first
        conn.execute(_districts.insert().values(name=name, aliases="", is_active=True, created_at=now))
        ids[name] = conn.execute(sa.select(_districts.c.id).where(_districts.c.name == name)).scalar_one()

    for name, district_id in ids.items():
        township_counts = Counter()
        for table in (_merchants, _consultations):
            for township, count in conn.execute(sa.select(table.c.township, sa.func.count())
                                                .where(table.c.district == name).group_by(table.c.township)):
                if township:
                    township_counts[township] += count
        townships = _canonical(township_counts, TOWNSHIP_SUFFIXES)
        for table in (_merchants, _consultations):
            for spelling, township in townships.items():
                if spelling != township:
                    values = {"township": township}
                    if table is _merchants:
                        values["version"] = _merchants.c.version + 1
                    conn.execute(table.update().where(table.c.district == name, table.c.township == spelling)
                                 .values(**values))
        for township in sorted(set(townships.values())):
            conn.execute(_townships.insert().values(district_id=district_id, name=township, aliases="",
                                                    is_active=True, created_at=now))


def upgrade():
    op.create_table('districts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('aliases', sa.Text(), server_default='', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_districts')),
    sa.UniqueConstraint('name', name=op.f('uq_districts_name'))
    )
    op.create_table('townships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('aliases', sa.Text(), server_default='', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_townships_district_id_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_townships')),
    sa.UniqueConstraint('district_id', 'name', name=op.f('uq_townships_district_id'))
    )
    with op.batch_alter_table('townships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_townships_district_id'), ['district_id'], unique=False)

    _import_names_in_use(op.get_bind())


def downgrade():
    # The canonical spellings the upgrade wrote into shops and accounts stay: they are valid names.
    with op.batch_alter_table('townships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_townships_district_id'))
    op.drop_table('townships')
    op.drop_table('districts')
