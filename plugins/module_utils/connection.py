# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""The one connection contract of livestack.aws: which AWS connection settings a run gives every AWS call.

The user sets them as inventory (or play, or extra) variables ``livestack_<option>``; only those set (defined,
not empty) are passed on, so that wherever the user sets nothing the caller's own ``module_defaults``
(``group/amazon.aws.aws``, ``group/livestack.aws.aws``) or the AWS SDK's usual chain (environment, profile) win.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# amazon.aws's connection options (modules and lookups), with their aliases; aws_config is for modules only.
OPTIONS: dict[str, tuple[str, ...]] = {
    "region": ("aws_region",),
    "endpoint_url": ("aws_endpoint_url",),
    "profile": ("aws_profile",),
    "access_key": ("aws_access_key_id", "aws_access_key"),
    "secret_key": ("aws_secret_access_key", "aws_secret_key"),
    "session_token": ("aws_session_token",),
    "aws_ca_bundle": (),
    "validate_certs": (),
    "aws_config": (),
}
MODULE_ONLY = ("aws_ca_bundle", "validate_certs", "aws_config")
# The variables a user sets: livestack_<option>.
VARIABLE_PREFIX = "livestack_"


def is_set(value: Any) -> bool:
    """A variable counts as set unless it is None or empty ('' from an unset environment variable, {})."""
    return value is not None and value != "" and value != {}


def settings(variables: dict[str, Any], for_lookups: bool = False) -> dict[str, Any]:
    """The connection settings the user set, as amazon.aws's option names (region, profile, ...).

    ``variables`` maps variable names to their (templated) values; those undefined are simply absent.
    With ``for_lookups``, the options amazon.aws's lookups do not take (aws_config, ...) are left out.
    """
    found = {}
    for option in OPTIONS:
        if for_lookups and option in MODULE_ONLY:
            continue
        value = variables.get(VARIABLE_PREFIX + option)
        if is_set(value):
            found[option] = value
    return found


def names(option: str) -> tuple[str, ...]:
    return (option, *OPTIONS[option])


def inherited(group_defaults: Iterable[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    """The connection options of the caller's ``group/amazon.aws.aws`` (``group_defaults``, in order, later
    winning) that ``args`` (the task's own arguments, with the defaults of our groups) do not set under any of
    their names; the other keys of those groups are not ours to pass on."""
    found: dict[str, Any] = {}
    for defaults in group_defaults:
        for option in OPTIONS:
            given = [name for name in names(option) if name in defaults]
            if given:
                found[option] = defaults[given[-1]]
    return {option: value for option, value in found.items() if not any(name in args for name in names(option))}
