# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filters ``client_vpn_revocation`` and ``client_vpn_crl_entries``: who is revoked, and what the CRL lists.

Names compare ignoring case everywhere (a certificate CN ``bob`` is revoked by ``Bob``), and a revoked
name that matches no developer is refused rather than ignored. A CRL never drops a serial that the
previous one listed, so emptying ``pki/revoked/`` re-admits nobody. Documented in the .yml files beside.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from typing import Any

# A revoked certificate is kept as revoked/<name>-<serial in hex>.crt.
_REVOKED_FILE = re.compile(r"^(?P<name>.+)-(?P<serial>[0-9a-f]+)\.crt$")


def _stem(path: str) -> str:
    return posixpath.basename(path).removesuffix(".crt")


def client_vpn_revocation(
    issued: Iterable[str], users: Iterable[str], revoked: Iterable[str], revoked_files: Iterable[str] = ()
) -> dict[str, list[str]]:
    """Who stays, whose certificate to revoke, and which revoked names match nobody.

    ``issued`` are the paths of the developers' certificates (``clients/<name>.crt``), ``revoked_files``
    those already revoked (``revoked/<name>-<serial>.crt``). Returns ``active`` (the developers to keep,
    each under the name of the certificate already issued to them when one differs only in case),
    ``to_revoke`` (paths of issued certificates) and ``unknown`` (revoked names that match no developer
    nor any certificate issued or revoked).
    """
    issued = sorted(issued)
    by_name = {_stem(path).lower(): _stem(path) for path in issued}
    revoked_lower = {str(name).lower() for name in revoked}
    active = [by_name.get(str(user).lower(), str(user)) for user in users if str(user).lower() not in revoked_lower]
    active_lower = {name.lower() for name in active}
    known = set(by_name) | {str(user).lower() for user in users}
    for path in revoked_files:
        match = _REVOKED_FILE.match(posixpath.basename(path))
        if match:
            known.add(match["name"].lower())
    return {
        "active": active,
        "to_revoke": [path for path in issued if _stem(path).lower() not in active_lower],
        "unknown": [str(name) for name in revoked if str(name).lower() not in known],
    }


def client_vpn_crl_entries(revoked_files: Iterable[str], previous: Iterable[Mapping[str, Any]] = ()) -> list[dict]:
    """The ``revoked_certificates`` of community.crypto.x509_crl: every revoked file, and every serial of the
    previous CRL (``x509_crl_info``'s ``revoked_certificates``) that no file holds any more, with its date."""
    files = sorted(revoked_files)
    serials = set()
    for path in files:
        match = _REVOKED_FILE.match(posixpath.basename(path))
        if match:
            serials.add(int(match["serial"], 16))
    kept = [
        {"serial_number": int(entry["serial_number"]), "revocation_date": entry["revocation_date"]}
        for entry in sorted(previous, key=lambda entry: int(entry["serial_number"]))
        if int(entry["serial_number"]) not in serials
    ]
    return [{"path": path} for path in files] + kept


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"client_vpn_revocation": client_vpn_revocation, "client_vpn_crl_entries": client_vpn_crl_entries}
