"""One rule for download responses (registry/downloads.py): one charset, the file named for every client."""

from __future__ import annotations

from registry.downloads import CSV, PDF, TEXT, XLSX, content_type, download


def test_text_files_say_utf_8_once():
    assert content_type(CSV) == "text/csv; charset=utf-8"
    assert content_type(TEXT) == "text/plain; charset=utf-8"
    assert content_type(XLSX) == XLSX and content_type(PDF) == PDF


def test_a_download_names_its_file_in_ascii_and_in_utf_8(app):
    response = download(b"a,b\r\n", CSV, "report.csv", "报表.csv")

    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == \
        "attachment; filename=\"report.csv\"; filename*=UTF-8''%E6%8A%A5%E8%A1%A8.csv"
    assert download(b"%PDF", PDF, "x.pdf").headers["Content-Disposition"] == 'attachment; filename="x.pdf"'
