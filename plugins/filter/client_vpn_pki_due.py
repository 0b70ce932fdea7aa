# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Filter ``client_vpn_pki_due``: which of pki.yml's community.crypto tasks must run.

The rule lives in ``module_utils/pki.py``. Documented in client_vpn_pki_due.yml.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.livestack.aws.plugins.module_utils.pki import pki_due


def client_vpn_pki_due(state: Any, certificates: Any, ca_common_name: str, renew_days: Any) -> dict[str, Any]:
    return pki_due(state, certificates, ca_common_name, int(renew_days))


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"client_vpn_pki_due": client_vpn_pki_due}
