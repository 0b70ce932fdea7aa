#!/usr/bin/python
# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
# ruff: noqa: E402 - Ansible modules import after their DOCUMENTATION strings

from __future__ import annotations

DOCUMENTATION = r"""
---
module: client_vpn_pki_info
short_description: Read the Client VPN role's PKI directory in one go
version_added: 0.1.0
description:
  - Reads the directories, private keys, signing requests, certificates, revoked certificates and CRL of the
    PKI that the client_vpn role keeps under O(path), with C(cryptography), so that the role runs
    community.crypto's modules only for what the filter C(livestack.aws.client_vpn_pki_due) finds missing or due.
  - Returns no secret (of a private key only the SHA-256 of its public key).
author:
  - livestack developers (@livestack)
options:
  path:
    description: The PKI directory (C(ca.key), C(ca.crt), C(server.*), C(crl.pem), C(clients/), C(revoked/)).
    type: path
    required: true
  config_dir:
    description: The directory of the developers' profiles, whose mode is reported with the PKI's directories.
    type: path
    required: true
requirements:
  - cryptography
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode).
    support: none
"""

EXAMPLES = r"""
- name: Read the PKI
  livestack.aws.client_vpn_pki_info:
    path: ~/.livestack/dev/pki
    config_dir: ~/.livestack/dev
  register: pki
"""

RETURN = r"""
pki:
  description:
    - The PKI as found. C(directories) maps each directory to its mode (null when missing); C(keys), C(csrs) and
      C(certificates) map each file to its mode and content (public key digest, subject, extensions, signature
      checks, expiry; null when unreadable); C(issued) lists C(clients/*.crt), C(revoked) maps each
      C(revoked/*.crt) to its serial number; C(crl) is the CRL's mode, issuer, next update, serial numbers and
      whether the CA signed it (null when missing).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.livestack.aws.plugins.module_utils import pki


def main() -> None:
    module = AnsibleModule(
        argument_spec={"path": {"type": "path", "required": True}, "config_dir": {"type": "path", "required": True}},
        supports_check_mode=True,
    )
    if pki.x509 is None:
        module.fail_json(msg=missing_required_lib("cryptography"))
    module.exit_json(changed=False, pki=pki.read_pki(module.params["path"], module.params["config_dir"]))


if __name__ == "__main__":
    main()
