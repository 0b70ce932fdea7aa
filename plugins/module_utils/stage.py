# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""A stage's names and its ownership: the rules, once, for the stage_info module and its tests.

Every resource of a stage is named ``<project>-<stage>-<part>`` and tagged ``livestack:project`` and
``livestack:stage``. Names alone cannot tell stages apart: project ``livestack`` stage ``a-b`` and
project ``livestack-a`` stage ``b`` make the same names. So a stage owns a resource only when the
resource's tags say so; a resource that carries one of the stage's names but other tags belongs to
someone else and is never changed or deleted (``owner_error``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PROJECT_TAG = "livestack:project"
STAGE_TAG = "livestack:stage"

# Lowercase letters, digits and single hyphens inside: what every service that holds a name made from
# them accepts (RDS identifiers: a letter first, no "--", no trailing "-", case-insensitive, so lowercase
# only; S3 buckets: lowercase; DNS labels of the Client VPN server name: no "_" or ".").
_PROJECT = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_STAGE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_DNS_LABEL_LIMIT = 63
# Highest instance number: the writer and up to 15 Aurora replicas.
_MAX_INSTANCE = 16

# The names the roles make from the prefix <project>-<stage> that a service limits in length, with the
# limit: (service and kind, name template, limit). Longer limits (subnet and parameter groups 255, tables
# 255, secrets 512, log groups 512, API names 128, tags 256) can never be the first one reached.
NAME_LIMITS = (
    ("Lambda function name", "{prefix}-relay-disconnect", 64),
    ("S3 bucket name", "{prefix}-relay-payloads", 63),
    ("RDS DB instance identifier", "{prefix}-aurora-" + str(_MAX_INSTANCE), 63),
    ("RDS Proxy name", "{prefix}-proxy", 63),
    ("IAM role name", "{prefix}-relay", 64),
    ("IAM managed policy name", "{prefix}-proxy-connect", 128),
)

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")

# The parts of the stack, in site.yml's order.
PARTS = ("network", "aurora", "rds_proxy", "client_vpn", "dev_relay")


def name_errors(project: object, stage: object) -> list[str]:
    """Every rule that livestack_project and livestack_stage break, each naming the variable."""
    errors = []
    for option, value, pattern, first in (
        ("livestack_project", project, _PROJECT, "a lowercase letter"),
        ("livestack_stage", stage, _STAGE, "a lowercase letter or digit"),
    ):
        if not isinstance(value, str) or not pattern.match(value):
            case = " (uppercase is refused: Aurora identifiers ignore case, so 'Alice' would be 'alice')"
            errors.append(
                f"{option} {value!r} must be lowercase letters, digits and single hyphens, starting with {first}"
                f" and not ending with a hyphen{case if isinstance(value, str) and value != value.lower() else ''}"
            )
        elif len(value) > _DNS_LABEL_LIMIT:
            errors.append(
                f"{option} {value!r} is {len(value)} characters, longer than the {_DNS_LABEL_LIMIT} of a DNS label"
                " (the Client VPN server name is vpn.<stage>.<project>.internal)"
            )
    if errors:
        return errors
    prefix = f"{project}-{stage}"
    for kind, template, limit in NAME_LIMITS:
        name = template.format(prefix=prefix)
        if len(name) > limit:
            errors.append(
                f"livestack_project {project!r} and livestack_stage {stage!r} make the {kind} {name!r}"
                f" ({len(name)} characters), longer than its limit of {limit}: together they may be at most"
                f" {limit - len(name) + len(prefix) - 1} characters"
            )
    if project.startswith(("sthree-", "amzn-s3-demo-")):
        errors.append(f"livestack_project {project!r} must not start with an S3 reserved bucket prefix")
    return errors


def region_errors(region: object) -> list[str]:
    """The rule of livestack_region's form (whether the account knows it, only a request can tell)."""
    if isinstance(region, str) and _REGION.match(region):
        return []
    return [f"livestack_region {region!r} is not an AWS region name (like eu-west-1)"]


def owner(tags: Mapping[str, str] | None) -> tuple[str | None, str | None]:
    """(project, stage) that the tags name; None where a tag is missing."""
    tags = tags or {}
    return tags.get(PROJECT_TAG), tags.get(STAGE_TAG)


def owner_error(kind: str, name: str, tags: Mapping[str, str] | None, project: str, stage: str) -> str | None:
    """Why project/stage must not touch the resource ``name`` (found by one of its names), or None if it owns it."""
    found_project, found_stage = owner(tags)
    if (found_project, found_stage) == (project, stage):
        return None
    if found_project is None and found_stage is None:
        belongs = f"carries no {PROJECT_TAG} and {STAGE_TAG} tags (not made by livestack, or by hand)"
        remedy = f" (if it is this stage's, tag it {PROJECT_TAG}={project} {STAGE_TAG}={stage})"
    else:
        belongs, remedy = f"belongs to project {found_project} stage {found_stage} (tags)", ""
    return f"{kind} {name} {belongs}, not to project {project} stage {stage}; refusing to change it{remedy}"


def tag_dict(tag_list: object) -> dict[str, str]:
    """Tags as a dict, from any of AWS's forms: [{Key, Value}], [{key, value}] or a dict."""
    if isinstance(tag_list, Mapping):
        return {str(key): str(value) for key, value in tag_list.items()}
    found = {}
    for tag in tag_list or []:
        key = tag.get("Key", tag.get("key"))
        found[key] = tag.get("Value", tag.get("value", ""))
    return found


def teardown_report(before: list[Mapping], after: list[Mapping]) -> list[str]:
    """What a teardown found and deleted: stage_info's resources before and after it, as lines to show."""
    left = {resource["id"]: resource for resource in after}
    deleted = [resource for resource in before if resource["id"] not in left]
    kept = [resource for resource in after if resource.get("pending_deletion")]
    remaining = [resource for resource in after if not resource.get("pending_deletion")]

    def listed(resources: list[Mapping]) -> str:
        return ", ".join(f"{resource['kind']} {resource['name']}" for resource in resources) or "none"

    return [
        f"found {len(before)}: {listed(before)}",
        f"deleted {len(deleted)}: {listed(deleted)}",
        f"kept in its recovery window {len(kept)}: {listed(kept)}",
        f"still there {len(remaining)}: {listed(remaining)}",
    ]
