"""Reports: the association's figures for a period (staff reports, the yearly report, public /stats)."""
