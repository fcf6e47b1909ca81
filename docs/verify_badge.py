#!/usr/bin/env python3
"""Check a 诚信码 badge's offline signature with nothing but Python 3 and `cryptography`.

    pip install cryptography
    python3 verify_badge.py 'https://cxm.example.cn/m/<code>?s=<serial>&v=<proof>' keys.json

keys.json is the published keys document (save https://<registry>/verify/keys while online, or copy it
from the README); the check itself needs no network and no database. Exit status 0: the association
issued this badge serial to this shop code on the printed date, over the pledge text whose SHA-256
starts with the printed prefix. It says nothing about the shop's standing today: open the URL for that.

The proof `v` is base64url (no padding) of 79 bytes:
    [0]      format = 1
    [1:5]    key id = SHA-256(raw 32-byte public key)[:4]
    [5:7]    issue date, days since 2020-01-01 (Beijing date), unsigned big-endian
    [7:15]   SHA-256(pledge text)[:8]
    [15:79]  Ed25519 signature of b"CXM-BADGE-1\\n" + code.lower() + b"\\n" + serial + b"\\n" + bytes [0:15]
A key is trusted for issue dates from valid_from to valid_until (inclusive; null = open).
(The registry's own implementation is registry/badges/offline.py; tests check that both agree.)
"""

import base64
import datetime
import hashlib
import json
import struct
import sys
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization


def verify(url, keys_document):
    """(True, facts) or (False, reason)."""
    parts = urlsplit(url.strip())
    segments = parts.path.rstrip("/").split("/")
    query = parse_qs(parts.query)
    if len(segments) < 2 or segments[-2] != "m" or "s" not in query or "v" not in query:
        return False, "not a badge URL with a proof (/m/<code>?s=<serial>&v=<proof>)"
    code, serial, proof = segments[-1].lower(), query["s"][0], query["v"][0]
    try:
        data = base64.urlsafe_b64decode(proof + "=" * (-len(proof) % 4))
    except ValueError:
        return False, "the proof is not base64url"
    if len(data) != 79 or data[0] != 1:
        return False, "the proof has the wrong length or format"
    head, signature = data[:15], data[15:]
    _format, key_id, days, pledge = struct.unpack(">B4sH8s", head)
    issued = datetime.date(2020, 1, 1) + datetime.timedelta(days=days)
    for entry in keys_document["keys"]:
        public = serialization.load_pem_public_key(entry["public_key"].encode())
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        if hashlib.sha256(raw).digest()[:4] != key_id:
            continue
        message = b"CXM-BADGE-1\n" + code.encode() + b"\n" + serial.encode() + b"\n" + head
        try:
            public.verify(signature, message)
        except InvalidSignature:
            return False, "the signature does not match the URL (altered, or not signed by this registry)"
        day = issued.isoformat()
        if (entry.get("valid_from") and day < entry["valid_from"]) or (entry.get("valid_until") and day > entry["valid_until"]):
            return False, "the key was not in service on the stated issue date"
        return True, {"code": code, "serial": serial, "issued_on": day, "pledge_sha256_prefix": pledge.hex(),
                      "key_id": key_id.hex()}
    return False, "signed by a key that is not in the keys document"


def main(argv):
    if len(argv) != 3:
        print(__doc__.split("\n\n")[1])
        return 2
    with open(argv[2], encoding="utf-8") as handle:
        ok, result = verify(argv[1], json.load(handle))
    if not ok:
        print("INVALID:", result)
        return 1
    print("VALID offline signature, standing as of {issued_on}: shop {code}, badge {serial}, pledge text "
          "sha256 {pledge_sha256_prefix}…, key {key_id}. Open the URL online for the current standing.".format(**result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
