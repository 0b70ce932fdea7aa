"""The OpenVPN client configuration that ExportClientVpnClientConfiguration returns.

Like AWS's: the endpoint's DNS name (without the ``*.``), port and protocol, ``remote-random-hostname``,
the CA chain of the server certificate in ``<ca>`` and its common name in
``verify-x509-name``; no ``<cert>`` nor ``<key>`` (the client adds them).
"""

from __future__ import annotations


def client_configuration(dns_name: str, port: int, transport: str, ca_chain: str, server_name: str) -> str:
    remote = dns_name.removeprefix("*.")
    return (
        "client\n"
        "dev tun\n"
        f"proto {transport}\n"
        f"remote {remote} {port}\n"
        "remote-random-hostname\n"
        "resolv-retry infinite\n"
        "nobind\n"
        "remote-cert-tls server\n"
        "cipher AES-256-GCM\n"
        "verb 3\n"
        "<ca>\n"
        f"{ca_chain.strip()}\n"
        "</ca>\n"
        "\n"
        "reneg-sec 0\n"
        "\n"
        f"verify-x509-name {server_name} name\n"
    )
