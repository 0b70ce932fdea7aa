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

from ansible_collections.livestack.aws.plugins.module_utils import names

PROJECT_TAG = "livestack:project"
STAGE_TAG = "livestack:stage"

# Lowercase letters, digits and single hyphens inside: what every service that holds a name made from
# them accepts (RDS identifiers: a letter first, no "--", no trailing "-", case-insensitive, so lowercase
# only; S3 buckets: lowercase; DNS labels of the Client VPN server name: no "_" or ".").
_PROJECT = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_STAGE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_DNS_LABEL_LIMIT = 63
# The relay's payload bucket, unique per account and stable across runs.
PAYLOAD_BUCKET = "{prefix}-relay-{account}"
# Highest instance number: the writer and up to 15 Aurora replicas.
_MAX_INSTANCE = 16

# Every name the roles make from the prefix <project>-<stage> (and the account, for the one global name), with
# the naming rule of its service (module_utils/names.py): (kind of RULES, template). The instance is the last
# one the cluster may have; the bucket holds the account id so that it is unique across accounts (S3 bucket
# names are global: <prefix>-relay-payloads would collide with any other account using the defaults).
STAGE_NAMES = (
    ("name_tag", "{prefix}-vpc"),
    ("rds_cluster", "{prefix}-aurora"),
    ("rds_instance", "{prefix}-aurora-" + str(_MAX_INSTANCE)),
    ("rds_group", "{prefix}-aurora"),
    ("secret", "{prefix}/aurora/master"),
    ("rds_proxy", "{prefix}-proxy"),
    ("iam_role", "{prefix}-proxy"),
    ("iam_policy", "{prefix}-proxy-connect-db-users"),
    ("log_group", "/livestack/{prefix}/client-vpn"),
    ("name_tag", "{prefix}-vpn-client-ca"),
    ("lambda_function", "{prefix}-relay-disconnect"),
    ("log_group", "/aws/lambda/{prefix}-relay-disconnect"),
    ("iam_role", "{prefix}-relay"),
    ("api", "{prefix}-relay"),
    ("dynamodb_table", "{prefix}-relay"),
    ("s3_bucket", PAYLOAD_BUCKET),
)
# Account ids are 12 digits: the names are checked before the account is known.
_SOME_ACCOUNT = "0" * 12

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
    if errors and not all(isinstance(value, str) and value for value in (project, stage)):
        return errors
    prefix = f"{project}-{stage}"
    for kind, template in STAGE_NAMES:
        name = template.format(prefix=prefix, account=_SOME_ACCOUNT)
        shown = template.format(prefix=prefix, account="<account id>")
        for broken in names.errors(kind, name):
            broken = broken.replace(repr(name), repr(shown))
            errors.append(
                f"livestack_project {project!r} and livestack_stage {stage!r} make {broken}"
                + (_together(name, prefix, kind) if len(name) > names.RULES[kind].most else "")
            )
    return errors


def payload_bucket(prefix: str, account_id: str) -> str:
    """The relay's payload bucket: S3 names are global, so the account id makes it this account's."""
    return PAYLOAD_BUCKET.format(prefix=prefix, account=account_id)


def _together(name: str, prefix: str, kind: str) -> str:
    most = names.RULES[kind].most - len(name) + len(prefix) - 1
    return f": together they may be at most {most} characters"


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
