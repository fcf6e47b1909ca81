"""`flask areas …`: load the list of districts and townships from a CSV file, list it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click

from registry.extensions import db

_HEADER_WORDS = {"district", "区县", "区/县", "县区", "区"}


def read_area_csv(data: bytes) -> list[tuple[str, str, str]]:
    """(district, township, aliases) rows of a CSV file in UTF-8 (with or without BOM) or GB18030 (Excel in
    China); a first row naming the columns is skipped, blank lines too. Aliases: one cell, separated by 、or ;."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    rows = []
    for index, cells in enumerate(csv.reader(io.StringIO(text))):
        cells = [cell.strip() for cell in cells] + ["", "", ""]
        if index == 0 and cells[0].lower() in _HEADER_WORDS:
            continue
        if any(cells[:3]):
            rows.append((cells[0], cells[1], cells[2]))
    return rows


@click.group("areas")
def areas_group() -> None:
    """The managed list of districts (区/县) and townships (乡镇/街道)."""


@areas_group.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def areas_load(path: Path) -> None:
    """Add the districts, townships and spellings of a CSV (district,township,aliases) that are not on the
    list yet. Idempotent; never renames or removes anything (administrators do that at /admin/areas)."""
    from registry.areas.services import load_list
    from registry.errors import DomainError

    try:
        result = load_list(read_area_csv(path.read_bytes()))
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Added {len(result.districts)} districts, {result.townships} townships, {result.aliases} spellings.")


@areas_group.command("list")
def areas_list() -> None:
    """Print the list as CSV (district,township,aliases), the format `load` reads."""
    from registry.areas.services import load_areas

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["district", "township", "aliases"])
    for district in load_areas().districts:
        writer.writerow([district.name, "", "、".join(district.alias_list)])
        for township in district.townships:
            writer.writerow([district.name, township.name, "、".join(township.alias_list)])
    click.echo(buffer.getvalue(), nl=False)
