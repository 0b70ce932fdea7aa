"""The OpenVPN server of each endpoint (``dataplane.openvpn``), built from the endpoint's records.

``sync_all`` runs after every Client VPN call: an endpoint that is ``available`` has a server made
from its ACM certificates, CRL and options; one that is not (no associated network, deleting, gone)
has none. A server that only needs the new CRL or authorization rules keeps running. With connection
logging on, its connection events go to the endpoint's CloudWatch Logs stream (``connection_logger``).
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from moto.acm.models import acm_backends
from moto.ec2.models import ec2_backends
from moto.logs.models import logs_backends

from ....dataplane import openvpn
from ... import DEFAULT_ACCOUNT_ID
from .model import ClientVpnStore, Endpoint, _vpc_cidrs

log = logging.getLogger(__name__)


def sync_all(store: ClientVpnStore) -> None:
    wanted = {}
    for endpoint_id, endpoint in store.endpoints.items():
        try:
            wanted[endpoint_id] = spec(endpoint)
        except Exception:  # an API call never fails for its server's sake
            log.exception("no server for %s", endpoint_id)
    for endpoint_id in openvpn.endpoints() | set(wanted):
        openvpn.sync(endpoint_id, wanted.get(endpoint_id))


def listener(endpoint: Endpoint) -> tuple[str, int]:
    """Where the endpoint's server listens: the ``remote`` of its exported client configuration."""
    return openvpn.listener(endpoint.endpoint_id, endpoint.transport, endpoint.port)


def spec(endpoint: Endpoint, account_id: str = DEFAULT_ACCOUNT_ID) -> openvpn.ServerSpec | None:
    """The server an endpoint has, or None: not available, or no certificate authentication (the
    emulator has no directory nor identity provider to check users against)."""
    roots_arn = next(
        (
            option["mutualAuthentication"]["clientRootCertificateChain"]
            for option in endpoint.authentication
            if option["type"] == "certificate-authentication"
        ),
        None,
    )
    if endpoint.status != "available" or roots_arn is None:
        return None
    acm = acm_backends[account_id][endpoint.region]
    try:
        server = acm.get_certificate(endpoint.server_certificate_arn)
        roots = acm.get_certificate(roots_arn)
    except Exception as error:  # noqa: BLE001 - moto's not-found class; AWS refuses to delete a certificate in use
        log.error("no server for %s: %s", endpoint.endpoint_id, error)
        return None
    routes: tuple[str, ...] = ()
    if endpoint.vpc_id:
        vpc = ec2_backends[account_id][endpoint.region].get_vpc(endpoint.vpc_id)
        routes = tuple(dict.fromkeys(block["cidr_block"] for block in _vpc_cidrs(vpc)))
    return openvpn.ServerSpec(
        endpoint_id=endpoint.endpoint_id,
        transport=endpoint.transport,
        listen=listener(endpoint),
        client_cidr=endpoint.client_cidr,
        server_certificate=_pem(server.cert) + _pem(server.chain),
        server_key=_pem(server.key),
        client_roots=certificate_authorities(_pem(roots.cert) + _pem(roots.chain)),
        crl=endpoint.crl,
        routes=routes,
        split_tunnel=endpoint.split_tunnel,
        dns_servers=tuple(endpoint.dns_servers),
        session_timeout_hours=endpoint.session_timeout_hours,
        authorized=tuple(
            rule.destination_cidr for rule in endpoint.rules if rule.access_all and rule.status == "active"
        ),
    )


def certificate_authorities(pem: str) -> str:
    """The CA certificates of a PEM bundle: the client root chain's certificate is the CA itself when
    the CA was imported, or a certificate it signed (the server's) with the CA in its chain."""
    found = [certificate for certificate in x509.load_pem_x509_certificates(pem.encode()) if _is_ca(certificate)]
    return "".join(c.public_bytes(Encoding.PEM).decode() for c in found) or pem


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _pem(value: bytes | str | None) -> str:
    text = value.decode() if isinstance(value, bytes) else (value or "")
    return text if not text or text.endswith("\n") else text + "\n"


def connection_logger(store: ClientVpnStore) -> Callable[[str, dict[str, str]], None]:
    """Publishes a server's connection events (JSON, AWS's fields) to the endpoint's log stream; without a
    stream named in ConnectionLogOptions, to one made per endpoint as AWS does
    (``<endpoint id>-<region>-<yyyy/mm/dd>-<random>``)."""
    streams: dict[str, str] = {}

    def publish(endpoint_id: str, event: dict[str, str]) -> None:
        endpoint = store.endpoints.get(endpoint_id)
        if endpoint is None or not endpoint.connection_log.get("Enabled"):
            return
        group = endpoint.connection_log["CloudwatchLogGroup"]
        stream = endpoint.connection_log.get("CloudwatchLogStream") or streams.setdefault(
            endpoint_id, f"{endpoint_id}-{endpoint.region}-{time.strftime('%Y/%m/%d')}-{secrets.token_hex(6)}"
        )
        logs = logs_backends[DEFAULT_ACCOUNT_ID][endpoint.region]
        if stream not in logs.groups[group].streams:
            logs.create_log_stream(group, stream)
        logs.put_log_events(group, stream, [{"timestamp": int(time.time() * 1000), "message": json.dumps(event)}])

    return publish
