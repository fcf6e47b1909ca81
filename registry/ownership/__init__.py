"""Ownership disputes: the real owner of a shop someone else registered files a claim (licence photo,
verified phone); staff decide, and a transfer moves the shop to the claimant's account (badges
re-issued, the previous owner told).

models · claims (filing and deciding) · notices (SMS, the previous owner's notice) · queries (staff lists)
· forms · labels · owner_views · staff_views.
"""
