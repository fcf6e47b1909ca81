"""Ownership disputes: the real owner of a shop someone else registered files a claim (licence photo,
verified phone); staff decide, and a transfer moves the shop to the claimant's account (badges
re-issued, the previous owner told).

models · claims (filing and deciding, the texts sent) · queries (staff lists, the claimant's and the previous
owner's notices) · forms · labels · owner_views · staff_views.
"""
