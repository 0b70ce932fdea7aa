"""Realistic timing: created resources stay in their transitional states for a while, as on AWS.

Off by default (everything is ready at once, tests stay fast). ``realistic`` keeps each kind of
resource in its transitional state for its AWS duration, scaled to one emulated second per AWS
minute; any duration and the scale can be set:

    python -m livestack_emulator --timing realistic
    python -m livestack_emulator --timing '{"scale": 2, "proxy": 4}'     # minutes, x2 seconds each

The durations are AWS minutes (typical creation times, and the Client VPN endpoint's deletion);
``critical_path`` in the bench uses the same table, so the modeled time and the emulator agree. In strict
mode (``strict.py``) a state also lasts at least its strict window, timing on or off.
"""

from __future__ import annotations

import json
import os
import time

from . import strict

AWS_MINUTES = {
    "nat_gateway": 2.0,
    "aurora_cluster": 5.0,
    "serverless_instance": 8.0,
    "proxy": 6.0,
    "client_vpn_association": 7.0,
    # Terraform waits up to 5 minutes for it (internal/service/ec2/wait.go waitClientVPNEndpointDeleted).
    "client_vpn_endpoint_deletion": 1.0,
}


class Timing:
    def __init__(self, spec: str | None = None) -> None:
        self.enabled = bool(spec) and spec != "off"
        settings = json.loads(spec) if self.enabled and spec.lstrip().startswith("{") else {}
        self.scale = float(settings.pop("scale", 1.0))
        unknown = set(settings) - set(AWS_MINUTES)
        if unknown:
            raise ValueError(f"unknown timing kinds {sorted(unknown)}; known: {sorted(AWS_MINUTES)}")
        self.minutes = {**AWS_MINUTES, **{kind: float(value) for kind, value in settings.items()}}

    def seconds(self, kind: str) -> float:
        """Emulated seconds that a resource of ``kind`` stays transitional: its scaled AWS minutes with timing
        on, at least its strict window in strict mode, else 0."""
        scaled = self.minutes[kind] * self.scale if self.enabled else 0.0
        return max(scaled, strict.current.seconds(kind))

    def settled(self, kind: str, since: float) -> bool:
        return time.monotonic() - since >= self.seconds(kind)

    def describe(self) -> dict[str, object]:
        return {"enabled": self.enabled, "scale": self.scale, "aws_minutes": self.minutes}


# The emulator's one timing, set from the command line or LIVESTACK_EMULATOR_TIMING at start-up.
current = Timing(os.environ.get("LIVESTACK_EMULATOR_TIMING"))


def configure(spec: str | None) -> Timing:
    global current
    current = Timing(spec)
    return current
