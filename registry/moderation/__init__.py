"""Moderation: flags that say a shop needs a look, sanctions with the two-person rule, appeals,
and the staff dashboard. Listens to complaints (complaint_changed); nothing below imports it."""
