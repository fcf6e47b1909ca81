"""A township's bulk poster PDF as a job: up to 500 pages take longer than a request may."""

from __future__ import annotations

from dataclasses import asdict

from registry.auth.models import User
from registry.campaigns import pdf, printing
from registry.database import slow_work
from registry.downloads import PDF
from registry.jobs import services as jobs
from registry.jobs.models import Job
from registry.jobs.services import Outcome, Progress

POSTERS_KIND = "campaigns.posters"


def start_posters(selection: printing.PosterSelection, staff: User) -> Job:
    """Queue the PDF of the selected signed shops' posters (flushed; submit after the commit)."""
    selection = printing.scoped_selection(selection, staff)
    return jobs.start(POSTERS_KIND, draw_posters, staff, asdict(selection))


def draw_posters(progress: Progress) -> Outcome:
    """The job: choose the shops and draw their posters from a read snapshot, then record who printed them."""
    staff = progress.staff
    selection = printing.PosterSelection(**progress.params)
    progress.stage("selecting")
    with slow_work():  # choosing and drawing 500 posters takes seconds: no write lock meanwhile
        items = printing.poster_items(selection, staff)
        printing.check_poster_count(len(items))
        merchant_ids = [item.shop.id for item in items]
        progress.report(stage="drawing", total=len(items), done=0)
        data = pdf.badge_posters(items, drawn=progress.report)
    printing.record_posters_printed(selection, merchant_ids, staff)
    return Outcome({"count": len(merchant_ids), "district": selection.district, "township": selection.township,
                    "batch_id": selection.batch_id}, data, "posters.pdf", PDF)
