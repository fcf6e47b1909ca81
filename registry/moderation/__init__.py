"""Moderation: flags that say a shop needs a look, sanctions with the two-person rule, appeals,
and the staff dashboard. Listens to complaints (complaint_changed); nothing below imports it.

checks (district scope, typed text) · flags (rules, reports, staff flags) · sanctions (warnings,
suspensions, revocations, reinstatements, the expiry job) · appeals · statements (the shop's reply
beside a sanction) · repairs (信用修复) · notices (SMS, the owner's notice) · standings (the loader in
front of merchants.standing) · queries (staff lists, dashboard); one views
module per audience: staff_views, owner_views, public_views, admin_views, and review_views (staff
reviewing statements and repair applications).
"""
