"""Open data: a daily export of every public shop's standing and the sanctions the QR pages show."""
