# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""What a converged stage costs while nobody uses it, line by line: the rule and the price table, once.

Idle means no traffic: what bills by the hour whether anyone works or not. A stage's hourly meters are the
Client VPN's subnet associations, the NAT gateway and its public IPv4 address, Aurora Serverless v2 at its
minimum capacity (nothing while paused, where the engine scales to zero), RDS Proxy (billed on the database's
capacity with a minimum of 8 ACUs for Serverless v2) and the master secret. Everything else of a stage bills
per request or per byte (Lambda, API Gateway, DynamoDB on demand, S3, CloudWatch Logs, the Client VPN's
connections) and is 0 at idle; the connections are shown apart, per connected developer.

The prices are AWS's public on-demand list prices for us-east-1 (Aurora Standard storage configuration), in
USD, as of the table's date (AWS pricing pages: AWS Client VPN, Amazon VPC NAT gateway and public IPv4
addresses, Amazon Aurora Serverless v2, Amazon RDS Proxy, AWS Secrets Manager). A stage in another region is
priced with them and says so. A month is 730 hours, as AWS's pricing calculator counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

HOURS_PER_MONTH = 730
PRICES_DATE = "2026-11-30"
PRICES_REGION = "us-east-1"
PROXY_MINIMUM_ACUS = 8


class Price(NamedTuple):
    item: str
    unit: str
    usd_per_hour: float


PRICES = {
    "client_vpn_association": Price("Client VPN subnet associations", "association", 0.10),
    "client_vpn_connection": Price("Client VPN connection", "connected developer", 0.05),
    "nat_gateway": Price("NAT gateways", "gateway", 0.045),
    "public_ipv4": Price("Public IPv4 addresses (the NAT gateways' Elastic IPs)", "address", 0.005),
    "aurora_acu": Price("Aurora Serverless v2 at its minimum capacity", "ACU", 0.12),
    "proxy_acu": Price(f"RDS Proxy (minimum {PROXY_MINIMUM_ACUS} ACUs for Serverless v2)", "ACU", 0.015),
    "secret": Price("Secrets Manager secrets", "secret", 0.40 / HOURS_PER_MONTH),
}


def _quantities(outputs: Mapping[str, Any]) -> dict[str, float]:
    """How many of each hourly meter the stage's outputs (one entry per role that ran) show."""
    network = outputs.get("network") or {}
    client_vpn = outputs.get("client_vpn") or {}
    aurora = outputs.get("aurora") or {}
    nats = len(network.get("nat_gateway_ids") or [])
    quantities = {"nat_gateway": nats, "public_ipv4": nats}
    if client_vpn.get("endpoint_id"):
        quantities["client_vpn_association"] = len(client_vpn.get("subnet_ids") or [])
    if aurora.get("cluster_identifier"):
        quantities["aurora_acu"] = float(aurora.get("instances", 1)) * float(aurora.get("min_capacity", 0.5))
        quantities["secret"] = 1 if aurora.get("secret_arn") else 0
    if (outputs.get("rds_proxy") or {}).get("arn"):
        quantities["proxy_acu"] = max(PROXY_MINIMUM_ACUS, quantities.get("aurora_acu", 0))
    return quantities


def idle_cost(outputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    """The stage's idle cost: one line per hourly meter it has, the totals, and where the prices come from."""
    lines = []
    total = 0.0
    quantities = _quantities(outputs)
    for key, price in PRICES.items():
        quantity = quantities.get(key, 0)
        # A cluster that scales to zero is shown at 0, paused; any other meter only where the stage has it.
        if not quantity and not (key == "aurora_acu" and key in quantities):
            continue
        hourly = quantity * price.usd_per_hour
        total += hourly
        lines.append(
            {
                "item": price.item,
                "quantity": quantity,
                "unit": price.unit,
                "usd_per_hour": round(hourly, 4),
                "usd_per_month": round(hourly * HOURS_PER_MONTH, 2),
            }
        )
    source = f"{PRICES_REGION} on-demand list prices of {PRICES_DATE}"
    if region != PRICES_REGION:
        source += f" ({region}'s prices may differ)"
    return {
        "lines": lines,
        "usd_per_hour": round(total, 4),
        "usd_per_month": round(total * HOURS_PER_MONTH, 2),
        "prices": source,
        "while_used": (
            f"each connected developer adds ${PRICES['client_vpn_connection'].usd_per_hour:.2f}/h (Client VPN"
            " connection); Lambda, API Gateway, DynamoDB, S3, logs and Aurora above its minimum bill per use"
        ),
    }


def _plural(unit: str, quantity: float) -> str:
    if quantity == 1:
        return unit
    return unit + ("es" if unit.endswith("s") else "s")


def report(cost: Mapping[str, Any]) -> list[str]:
    """The lines a converge shows."""
    quantities = [f"{line['quantity']:g} {_plural(line['unit'], line['quantity'])}" for line in cost["lines"]]
    item_width = max((len(line["item"]) for line in cost["lines"]), default=0)
    quantity_width = max(map(len, quantities), default=0)
    shown = [
        f"{line['item']:<{item_width}}  {quantity:<{quantity_width}}  ${line['usd_per_hour']:.4f}/h"
        f"  {'$' + format(line['usd_per_month'], '.2f'):>8}/month"
        for line, quantity in zip(cost["lines"], quantities, strict=True)
    ]
    shown.append(f"idle total: ${cost['usd_per_hour']:.4f}/h, ${cost['usd_per_month']:.2f}/month ({cost['prices']})")
    shown.append(cost["while_used"])
    return shown
