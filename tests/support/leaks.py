"""Looking for a secret: in every form it could be written, in every file a run left behind."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote


def forms_of(key: str) -> list[bytes]:
    """The key as it could be written: raw, URL-encoded, hex, and base64 at every alignment."""
    raw = key.encode()
    forms = [raw, quote(key, safe="").encode(), raw.hex().encode(), raw.hex().upper().encode()]
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(raw[shift:]).rstrip(b"=")
            forms.append(encoded[2:-2])  # the stable middle, whatever surrounds it
    forms.append(raw[3:27])  # a long fragment is a leak too
    return forms


def places_holding(key: str, blobs: dict[str, bytes]) -> list[str]:
    forms = forms_of(key)
    return sorted(
        {
            f"{where} ({form[:12]!r}...)"
            for where, blob in blobs.items()
            for form in forms
            if form in blob
        }
    )


def every_file(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
