"""The OpenVPN client configuration that ExportClientVpnClientConfiguration returns.

Like AWS's: the endpoint's port and protocol, ``remote-random-hostname``, the CA chain of the server
certificate in ``<ca>`` and its common name in ``verify-x509-name``; no ``<cert>`` nor ``<key>`` (the
client adds them). Where AWS names the endpoint's DNS name, the emulator names the loopback address
and port where the endpoint's OpenVPN server listens (``dataplane.openvpn.listener``), so that a
stock client on this machine connects; OpenVPN ignores ``remote-random-hostname`` for an address.
"""

from __future__ import annotations


def client_configuration(remote: tuple[str, int], transport: str, ca_chain: str, server_name: str) -> str:
    host, port = remote
    return (
        "client\n"
        "dev tun\n"
        f"proto {transport}\n"
        f"remote {host} {port}\n"
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
