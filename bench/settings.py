"""Settings every production-mode bench process shares besides its own (secret, URL, database).

Production refuses to start without an issuing body and a badge signing key (registry/config.py): the
bench names the demo association and signs with a fixed bench-only key, never a production one.
"""

import base64

from registry.config import DEMO_ISSUER

BENCH_BADGE_SIGNING_KEY = base64.b64encode(bytes(range(1, 33))).decode()  # an Ed25519 seed, bench only

PRODUCTION_EXTRAS = {**DEMO_ISSUER, "BADGE_SIGNING_KEY": BENCH_BADGE_SIGNING_KEY}
