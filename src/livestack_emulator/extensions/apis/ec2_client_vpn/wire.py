"""The EC2 query protocol's flat request parameters (responses: ``moto_wire.query_result``)."""

from __future__ import annotations

import re


def param_list(params: dict[str, str], prefix: str) -> list[str]:
    """``Prefix.1``, ``Prefix.2``, ... in index order."""
    pattern = re.compile(rf"^{re.escape(prefix)}\.(\d+)$")
    found = sorted((int(m.group(1)), value) for key, value in params.items() if (m := pattern.match(key)))
    return [value for _, value in found]


def param_structs(params: dict[str, str], prefix: str) -> list[dict[str, str]]:
    """``Prefix.1.Key=...`` groups as one flat dict per index, the sub-keys kept dotted."""
    pattern = re.compile(rf"^{re.escape(prefix)}\.(\d+)\.(.+)$")
    grouped: dict[int, dict[str, str]] = {}
    for key, value in params.items():
        if match := pattern.match(key):
            grouped.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return [grouped[index] for index in sorted(grouped)]


def param_struct(params: dict[str, str], prefix: str) -> dict[str, str] | None:
    """``Prefix.Key=...`` as ``{Key: ...}``, or None when absent."""
    found = {key[len(prefix) + 1 :]: value for key, value in params.items() if key.startswith(prefix + ".")}
    return found or None


def param_bool(value: str | None, default: bool | None = None) -> bool | None:
    if value is None:
        return default
    return value.lower() == "true"


def filters(params: dict[str, str]) -> dict[str, list[str]]:
    return {f["Name"]: param_list(f, "Value") for f in param_structs(params, "Filter") if "Name" in f}


def tags(params: dict[str, str], resource_type: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for spec in param_structs(params, "TagSpecification"):
        if spec.get("ResourceType") == resource_type:
            for tag in param_structs(spec, "Tag"):
                found[tag["Key"]] = tag.get("Value", "")
    return found
