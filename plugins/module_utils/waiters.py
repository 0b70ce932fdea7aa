# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""One poll loop for the states that botocore has no waiter for (Client VPN, RDS Proxy, ...).

A caller gives a function that describes the resource and a predicate per outcome; the loop
polls until ready, fails at once on a failed state, and fails with the last state seen when
``wait_timeout`` runs out. Mirrors the ``wait`` doc fragment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

WAIT_ARG_SPEC = dict(
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=900),
)


class WaitFailed(Exception):
    def __init__(self, message: str, last: Any = None):
        super().__init__(message)
        self.last = last


def wait_for(
    describe: Callable[[], Any],
    ready: Callable[[Any], bool],
    failed: Callable[[Any], str | None] | None = None,
    timeout: int = 900,
    delay: float = 5,
    what: str = "resource",
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    first_delay: float | None = None,
) -> Any:
    """Poll ``describe()`` until ``ready(result)``; ``failed(result)`` returns a reason to stop at once.

    With ``first_delay`` the delay starts there and doubles up to ``delay`` (Terraform's StateChangeConf
    backoff), for states that often end within seconds."""
    deadline = clock() + timeout
    pause = delay if first_delay is None else min(first_delay, delay)
    while True:
        current = describe()
        if ready(current):
            return current
        reason = failed(current) if failed else None
        if reason:
            raise WaitFailed(f"{what} failed: {reason}", current)
        if clock() >= deadline:
            raise WaitFailed(f"timed out after {timeout}s waiting for {what}", current)
        sleep(min(pause, max(deadline - clock(), 0)))
        pause = min(pause * 2, delay)


def retry_while(
    attempt: Callable[[], Any],
    errors: tuple[type[Exception], ...],
    retryable: Callable[[Exception], bool],
    timeout: int = 900,
    delay: float = 5,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    first_delay: float | None = None,
) -> Any:
    """``attempt()``, called again while it raises one of ``errors`` that ``retryable`` accepts, for at most
    ``timeout`` seconds, then that error is raised (Terraform's tfresource.RetryWhen); any other error is raised at
    once. ``first_delay`` as in ``wait_for``."""
    deadline = clock() + timeout
    pause = delay if first_delay is None else min(first_delay, delay)
    while True:
        try:
            return attempt()
        except errors as error:
            if not retryable(error) or clock() >= deadline:
                raise
        sleep(min(pause, max(deadline - clock(), 0)))
        pause = min(pause * 2, delay)
