# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Rules for the roles' input that no AWS API checks for us, each once, for the roles' filters and lookups.

- ``option_errors``: a value against its role's argument spec, stricter than Ansible's role argument
  validation, which accepts the string ``alice`` for a list (and splits it on commas only for the check,
  leaving the variable a string) and ``Owner=me`` for a dict.
- ``log_retention_errors``: a CloudWatch Logs retention that amazon.aws's ``cloudwatchlogs_log_group``
  accepts (given another, it deletes the existing log group before it fails).
- ``local_path_errors``: a path on the controller (an option of ``type: path``), after ``~`` is expanded, must
  be absolute.
- ``cidr_errors``: an IPv4 network in CIDR notation, optionally with a prefix length in a range (the one CIDR
  rule of the collection: the roles' and the modules' CIDR options).
- ``truthy``: a boolean option as Ansible's ``bool`` filter reads it.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from typing import Any

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

# The values amazon.aws's cloudwatchlogs_log_group (10.x) accepts; for any other value it deletes the log
# group (with its events) and then fails. AWS also accepts 1096, 2192, 2557, 2922 and 3288.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)
AWS_ONLY_LOG_RETENTION_DAYS = (1096, 2192, 2557, 2922, 3288)

_SPEC_KEYS = ("type", "elements", "choices", "options")


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def option_errors(options: Mapping[str, Mapping[str, Any]], values: Mapping[str, Any]) -> list[str]:
    """Every way ``values`` (option name to value, only the options given) break the argument spec ``options``.

    A list or a dict must be one: a string is refused, not split. The rest (types, choices, list elements)
    is Ansible's own argument spec validation, defaults and ``required`` left out, so that only what was
    given is judged; a ``path`` must be absolute once ``~`` is expanded.
    """
    errors = []
    given = {name: value for name, value in values.items() if name in options}
    refused = set()
    for name, value in given.items():
        kind = options[name].get("type", "str")
        if kind == "list" and not isinstance(value, list):
            refused.add(name)
            example = '["' + value + '"]' if isinstance(value, str) else "[...]"
            errors.append(
                f"{name} is {_shown(value)}, not a list: give a list, "
                f"for example as JSON: -e '{{\"{name}\": {example}}}'"
            )
        elif kind == "dict" and not isinstance(value, Mapping):
            refused.add(name)
            errors.append(
                f"{name} is {_shown(value)}, not a dict: give a mapping, for example as JSON: "
                f'-e \'{{"{name}": {{"key": "value"}}}}\''
            )
    spec = {
        name: {key: attrs[key] for key in _SPEC_KEYS if key in attrs}
        for name, attrs in options.items()
        if name in given and name not in refused
    }
    result = ArgumentSpecValidator(spec).validate({name: given[name] for name in spec})
    errors += [str(error) for error in result.errors.errors]
    errors += local_path_errors({name: given[name] for name in spec if spec[name].get("type") == "path"})
    return errors


def log_retention_errors(days: Any, option: str) -> list[str]:
    """``days`` must be a retention that CloudWatch Logs and amazon.aws's cloudwatchlogs_log_group both accept."""
    try:
        number = int(str(days))
    except ValueError:
        return [f"{option} {_shown(days)} is not a number of days"]
    if number in LOG_RETENTION_DAYS:
        return []
    allowed = ", ".join(map(str, LOG_RETENTION_DAYS))
    if number in AWS_ONLY_LOG_RETENTION_DAYS:
        return [
            f"{option} {number} is a retention CloudWatch Logs accepts but amazon.aws's cloudwatchlogs_log_group "
            f"does not (it would delete the log group): use one of {allowed}"
        ]
    return [f"{option} {number} is not a CloudWatch Logs retention: use one of {allowed} (days)"]


def local_path_errors(paths: Mapping[str, Any]) -> list[str]:
    """Each path (option name to path), ``~`` expanded, must be absolute: a relative one would land wherever
    ansible-playbook happens to run, the repository's work tree included."""
    errors = []
    for option, path in paths.items():
        if path in (None, ""):
            continue
        expanded = os.path.expanduser(str(path))
        if not os.path.isabs(expanded):
            errors.append(
                f"{option} {_shown(path)} is a relative path: give an absolute one (or one starting with ~), "
                f"so that nothing is written where ansible-playbook happens to run"
            )
    return errors


def truthy(value: Any) -> bool:
    """A boolean option as Ansible's ``bool`` filter reads it (``-e option=false`` gives the string ``false``)."""
    return str(value).strip().lower() in ("true", "yes", "on", "1", "y", "t")


def ipv4_network(value: Any) -> ipaddress.IPv4Network | None:
    """``value`` as an IPv4 network in CIDR notation (a prefix given, no host bits set), else None."""
    try:
        return ipaddress.IPv4Network(str(value), strict=True) if "/" in str(value) else None
    except ValueError:
        return None


def cidr_errors(option: str, value: Any, prefixes: tuple[int, int] | None = None) -> list[str]:
    """``value`` must be an IPv4 network in CIDR notation, with a prefix length within ``prefixes`` if given."""
    network = ipv4_network(value)
    if network is not None and (prefixes is None or prefixes[0] <= network.prefixlen <= prefixes[1]):
        return []
    within = f" with a prefix between /{prefixes[0]} and /{prefixes[1]}" if prefixes else ""
    return [f"{option} '{value}' must be an IPv4 network in CIDR notation (no host bits set){within}"]
