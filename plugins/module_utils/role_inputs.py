# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""The roles' input rules, each once, in Python: one function per role returns every rule its options break.

- ``network_input_errors``, ``client_vpn_input_errors``, ``aurora_input_errors``, ``rds_proxy_input_errors`` (and
  ``rds_proxy_fact_errors``, the cluster's and network's facts it is given), ``dev_relay_input_errors``: a role's own
  options, named as the role names them (``values`` maps the variable names to their values). The roles call them
  through the filters of the same names (``plugins/filter/role_input_errors.py``) in their ``validate*.yml``, which
  site.yml's pre-phase imports before any role changes anything.
- ``stage_input_errors``: the rules that span roles (``RULES``, read by the ``stage_input_errors`` lookup with the
  variables that are defined).
- ``cluster_input_errors``: Aurora's cluster rules of the modules (``rds_cluster_input_errors`` filter).

Where a module has the rule (Client VPN, RDS Proxy, Aurora), the role's function calls the module's own check with
the role's variable names. Every message names the variable, the value and the rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .ec2 import client_vpn_validation as client_vpn
from .inputs import cidr_errors, ipv4_network, log_retention_errors, truthy
from .rds import proxy_iam, proxy_validation
from .rds.cluster_users import input_errors as users_errors
from .rds.cluster_validation import (
    AURORA_MYSQL_LOG_TYPES,
    cluster_identifier_errors,
    log_export_errors,
    master_password_errors,
    master_username_errors,
)
from .rds.serverless_v2_validation import OPTION_NAMES, SupportedCapacity, capacity_errors

# AWS: a VPC and its subnets are /16 to /28.
VPC_PREFIXES = (16, 28)
REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
# A developer's name is a certificate CN and a file name.
CERTIFICATE_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._@-]{0,62}[A-Za-z0-9])?$")
CLIENT_VPN_TRANSPORTS = ("udp", "tcp")
RELAY_DEVELOPER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
API_STAGE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
# Lambda's limits.
LAMBDA_TIMEOUT = (1, 900)
LAMBDA_MEMORY = (128, 10240)
# A bundle fetched in clear text could be anyone's CA: HTTPS, a local file, or plain HTTP to this machine only.
CA_BUNDLE_URL = re.compile(r"^(https://[^/]+|file:///|http://(127\.[0-9.]+|localhost|\[::1\])(:[0-9]+)?/)")
RDS_GLOBAL_BUNDLE = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


def _whole(values: Mapping[str, Any], name: str, errors: list[str]) -> int | None:
    """The whole number ``values[name]``; None (and an error) when it is not one."""
    number = _int(values[name])
    if number is None:
        errors.append(f"{name} {values[name]!r} must be a whole number")
    return number


def _range(values: Mapping[str, Any], name: str, low: int, high: int, unit: str, errors: list[str]) -> None:
    number = _whole(values, name, errors)
    if number is not None and not low <= number <= high:
        errors.append(f"{name} {values[name]} must be between {low} and {high}{unit}")


# --- network ---------------------------------------------------------------------------------------------


def _subnets(values: Mapping[str, Any]) -> list[tuple[str, Any]]:
    private = values.get("network_private_subnet_cidrs")
    subnets = [(f"network_private_subnet_cidrs[{index}]", cidr) for index, cidr in enumerate(private or [])]
    if "network_public_subnet_cidr" in values:
        subnets.append(("network_public_subnet_cidr", values["network_public_subnet_cidr"]))
    if truthy(values.get("network_nat_per_az", False)) and "network_public_subnet_b_cidr" in values:
        subnets.append(("network_public_subnet_b_cidr", values["network_public_subnet_b_cidr"]))
    return subnets


def network_cidr_errors(values: Mapping[str, Any]) -> list[str]:
    """The VPC CIDR, two private subnets, the public subnet(s): valid, inside the VPC, not overlapping."""
    errors: list[str] = []
    vpc = None
    if "network_vpc_cidr" in values:
        errors += cidr_errors("network_vpc_cidr", values["network_vpc_cidr"], VPC_PREFIXES)
        vpc = None if errors else ipv4_network(values["network_vpc_cidr"])
    private = values.get("network_private_subnet_cidrs")
    if private is not None and (not isinstance(private, list) or len(private) != 2):
        count = len(private) if isinstance(private, list) else private
        errors.append(
            f"network_private_subnet_cidrs must list exactly two CIDRs (private subnets A and B), got {count}"
        )
        return errors
    valid = []
    for option, cidr in _subnets(values):
        problems = cidr_errors(option, cidr, VPC_PREFIXES)
        errors += problems
        if problems:
            continue
        network = ipv4_network(cidr)
        if vpc is not None and not network.subnet_of(vpc):
            errors.append(f"{option} '{cidr}' lies outside network_vpc_cidr '{values['network_vpc_cidr']}'")
        valid.append((option, network))
    for index, (option, network) in enumerate(valid):
        for other, other_network in valid[index + 1 :]:
            if network.overlaps(other_network):
                errors.append(f"{option} {network} overlaps {other} {other_network}: subnets must not overlap")
    return errors


def network_input_errors(values: Mapping[str, Any]) -> list[str]:
    """The network role's options: the region's name, the CIDRs, the availability zones (none looked up)."""
    errors = []
    region = values["livestack_region"]
    if not REGION_NAME.match(str(region)):
        errors.append(f"livestack_region '{region}' is not an AWS region name (like eu-west-1)")
    errors += network_cidr_errors(values)
    zones = values["network_availability_zones"]
    if not isinstance(zones, list) or len(zones) not in (0, 2) or len(set(zones)) != len(zones):
        errors.append(
            "network_availability_zones must be empty or name two different availability zones"
            f" (private subnets A and B must not share one), got {zones}"
        )
    return errors


# --- client_vpn ------------------------------------------------------------------------------------------


def client_vpn_input_errors(values: Mapping[str, Any]) -> list[str]:
    """The client_vpn role's options (the module's rules, with the role's names) that no AWS call decides;
    its client CIDR against the VPC's is a rule that spans roles (``client_vpn_cidr_errors``)."""
    errors: list[str] = []
    port = _whole(values, "client_vpn_port", errors)
    if port is not None:
        errors += client_vpn.port_errors(port, "client_vpn_port")
    errors += log_retention_errors(values["client_vpn_log_retention_days"], "client_vpn_log_retention_days")
    if values["client_vpn_transport"] not in CLIENT_VPN_TRANSPORTS:
        errors.append(f"client_vpn_transport '{values['client_vpn_transport']}' must be udp or tcp")
    errors += client_vpn.dns_servers_errors(list(values["client_vpn_dns_servers"]), "client_vpn_dns_servers")
    hours = _whole(values, "client_vpn_session_timeout_hours", errors)
    if hours is not None:
        errors += client_vpn.session_timeout_errors(hours, "client_vpn_session_timeout_hours")
    for option in ("client_vpn_users", "client_vpn_revoked"):
        for name in map(str, values[option]):
            if not CERTIFICATE_NAME.match(name):
                errors.append(
                    f"{option} '{name}' cannot be a certificate CN here: use 1 to 64 letters, digits, '.', '_', '-'"
                    " or '@', starting and ending with a letter or digit"
                )
    seen: dict[str, int] = {}
    for name in values["client_vpn_users"]:
        seen[str(name).lower()] = seen.get(str(name).lower(), 0) + 1
    duplicates = [name for name, count in seen.items() if count > 1]
    if duplicates:
        errors.append(
            f"client_vpn_users lists {', '.join(duplicates)} more than once (names are compared ignoring case)"
        )
    days = {
        name: _whole(values, name, errors)
        for name in (
            "client_vpn_renew_days",
            "client_vpn_cert_valid_days",
            "client_vpn_ca_valid_days",
            "client_vpn_crl_valid_days",
        )
    }
    if None not in days.values():
        renew = days.pop("client_vpn_renew_days")
        if renew <= 0 or any(renew >= valid for valid in days.values()):
            errors.append(
                f"client_vpn_renew_days {renew} must be positive and shorter than client_vpn_cert_valid_days"
                f" ({days['client_vpn_cert_valid_days']}),"
                f" client_vpn_ca_valid_days ({days['client_vpn_ca_valid_days']})"
                f" and client_vpn_crl_valid_days ({days['client_vpn_crl_valid_days']}), or certificates would be"
                " renewed on every run"
            )
    return errors


def client_vpn_cidr_errors(values: Mapping[str, Any]) -> list[str]:
    """The client range: the module's rule (/12 to /22), and not overlapping the network role's VPC CIDR."""
    if "client_vpn_client_cidr" not in values:
        return []
    cidr = values["client_vpn_client_cidr"]
    errors = client_vpn.client_cidr_errors(cidr, "client_vpn_client_cidr")
    vpc = ipv4_network(values.get("network_vpc_cidr", ""))
    if not errors and vpc is not None and ipv4_network(cidr).overlaps(vpc):
        errors.append(
            f"client_vpn_client_cidr '{cidr}' overlaps network_vpc_cidr '{values['network_vpc_cidr']}':"
            " client addresses must not overlap the VPC"
        )
    return errors


def client_vpn_network_errors(
    values: Mapping[str, Any], vpcs: list[Mapping[str, Any]], subnets: list[Mapping[str, Any]]
) -> list[str]:
    """The client range and the subnets against the VPC and subnets as they exist (amazon.aws's info modules'
    snake_case results): the module's ``check_network``, with the role's names."""
    found = [
        {"SubnetId": subnet["id"], "VpcId": subnet["vpc_id"], "AvailabilityZone": subnet["availability_zone"]}
        for subnet in subnets
    ]
    described = [
        {
            "VpcId": vpc["id"],
            "CidrBlock": vpc["cidr_block"],
            "CidrBlockAssociationSet": [
                {"CidrBlock": block["cidr_block"]} for block in vpc.get("cidr_block_association_set", [])
            ],
        }
        for vpc in vpcs
    ]
    names = {
        "target_subnet_ids": "client_vpn_subnet_ids",
        "client_cidr_block": "client_vpn_client_cidr",
        "the endpoint's VPC": "client_vpn_vpc_id",
    }
    try:
        client_vpn.check_network(
            {"target_subnet_ids": [subnet["SubnetId"] for subnet in found]},
            values["client_vpn_vpc_id"] or None,
            found,
            described,
            values["client_vpn_client_cidr"],
        )
    except client_vpn.InvalidOption as error:
        message = str(error)
        for option, name in names.items():
            message = message.replace(option, name)
        return [message]
    return []


# --- aurora ----------------------------------------------------------------------------------------------


def cluster_input_errors(
    values: Mapping[str, Any], names: Mapping[str, str] | None = None, supported: Mapping[str, Any] | None = None
) -> list[str]:
    """Every rule of the Aurora modules that ``values`` break; ``supported`` is rds_cluster_serverless_v2_info's
    supported_capacity."""
    keys = ("cluster_identifier", "master_username", "master_password", "log_exports", "databases", "users")
    names = {key: key for key in (*keys, "users_purge")} | {**OPTION_NAMES, **(names or {})}
    errors: list[str] = []
    if "cluster_identifier" in values:
        errors += cluster_identifier_errors(str(values["cluster_identifier"]), names["cluster_identifier"])
    if "master_username" in values:
        errors += master_username_errors(str(values["master_username"]), names["master_username"])
    if values.get("master_password"):
        errors += master_password_errors(str(values["master_password"]), names["master_password"])
    if "log_exports" in values:
        allowed = values.get("exportable_log_types") or AURORA_MYSQL_LOG_TYPES
        errors += log_export_errors(values["log_exports"], allowed, names["log_exports"])
    if "databases" in values or "users" in values:
        errors += users_errors(
            values.get("databases", []),
            values.get("users", []),
            bool(values.get("users_purge")),
            values.get("master_username"),
            {"databases": names["databases"], "users": names["users"], "purge": names["users_purge"]},
        )
    seconds = values.get("seconds_until_auto_pause")
    capacity = (
        SupportedCapacity(
            float(supported["min_capacity"]), float(supported["max_capacity"]), str(values.get("engine_version", ""))
        )
        if supported
        else None
    )
    errors += capacity_errors(
        _number(values.get("min_capacity")),
        _number(values.get("max_capacity")),
        None if seconds is None or seconds == "" else int(seconds),
        capacity,
        names,
    )
    return errors


AURORA_NAMES = {
    "cluster_identifier": "cluster identifier (from aurora_name_prefix)",
    "master_username": "aurora_master_username",
    "master_password": "aurora_master_password",
    "log_exports": "aurora_log_exports",
    "min_capacity": "aurora_min_capacity",
    "max_capacity": "aurora_max_capacity",
    "seconds_until_auto_pause": "aurora_seconds_until_auto_pause",
    "databases": "aurora_databases",
    "users": "aurora_users",
    "users_purge": "aurora_users_purge",
}


def aurora_input_errors(values: Mapping[str, Any], engine: Mapping[str, Any] | None = None) -> list[str]:
    """The aurora role's options; ``engine`` is what rds_cluster_serverless_v2_info found for
    aurora_engine_version (without it, the rules that need no engine version's facts)."""
    version = values["aurora_engine_version"]
    if engine is not None and not engine.get("engine_version_found"):
        return [
            f"aurora_engine_version '{version}' is not an aurora-mysql version that DescribeDBEngineVersions knows"
            f" in {values['livestack_region']}"
        ]
    if engine is not None and not engine.get("serverless_v2_supported"):
        return [f"aurora_engine_version '{version}' has no Serverless v2 (Aurora MySQL 3.02.0 and later have it)"]
    scale_to_zero = _number(values["aurora_min_capacity"]) == 0
    errors = cluster_input_errors(
        {
            "cluster_identifier": f"{values['aurora_name_prefix']}-aurora".lower(),
            "master_username": values["aurora_master_username"],
            "master_password": values["aurora_master_password"],
            "log_exports": values["aurora_log_exports"],
            "exportable_log_types": (engine or {}).get("exportable_log_types"),
            "engine_version": version,
            "min_capacity": values["aurora_min_capacity"],
            "max_capacity": values["aurora_max_capacity"],
            "seconds_until_auto_pause": values["aurora_seconds_until_auto_pause"] if scale_to_zero else None,
            "databases": values["aurora_databases"],
            "users": values["aurora_users"],
            "users_purge": truthy(values["aurora_users_purge"]),
        },
        AURORA_NAMES,
        (engine or {}).get("supported_capacity"),
    )
    backup, readers, window, port = (
        _whole(values, name, errors)
        for name in (
            "aurora_backup_retention_period",
            "aurora_reader_count",
            "aurora_secret_recovery_window",
            "aurora_port",
        )
    )
    if None not in (backup, readers, window, port) and not (
        1 <= backup <= 35 and 0 <= readers <= 15 and (window == 0 or 7 <= window <= 30) and 1150 <= port <= 65535
    ):
        errors.append(
            f"aurora_backup_retention_period {backup} must be 1 to 35 days, aurora_reader_count {readers} 0 to 15"
            f" (a cluster holds at most 15 readers), aurora_secret_recovery_window {window} 0 or 7 to 30 days,"
            f" aurora_port {port} 1150 to 65535"
        )
    return errors


# --- rds_proxy -------------------------------------------------------------------------------------------


def rds_proxy_input_errors(values: Mapping[str, Any]) -> list[str]:
    """The rds_proxy role's options: the module's ranges and name rule, the authentication scheme and users."""
    errors: list[str] = []
    _range(values, "rds_proxy_idle_client_timeout", *proxy_validation.IDLE_CLIENT_TIMEOUT_RANGE, " seconds", errors)
    _range(values, "rds_proxy_max_connections_percent", *proxy_validation.MAX_CONNECTIONS_RANGE, "", errors)
    ceiling = _int(values["rds_proxy_max_connections_percent"])
    if ceiling is not None:
        _range(
            values,
            "rds_proxy_max_idle_connections_percent",
            0,
            ceiling,
            " (rds_proxy_max_connections_percent)",
            errors,
        )
    _range(values, "rds_proxy_connection_borrow_timeout", *proxy_validation.BORROW_TIMEOUT_RANGE, " seconds", errors)
    wait = _whole(values, "rds_proxy_wait_timeout", errors)
    if wait is not None:
        _range(values, "rds_proxy_iam_propagation_timeout", 0, wait, " seconds (rds_proxy_wait_timeout)", errors)
    prefix = values["rds_proxy_name_prefix"]
    errors += [
        f"the proxy {error} (it is rds_proxy_name_prefix '{prefix}' + '-proxy')"
        for error in proxy_validation.check_name(f"{prefix}-proxy")
    ]
    errors += proxy_iam.input_errors(
        values["rds_proxy_auth_scheme"],
        values["rds_proxy_iam_auth"],
        values["rds_proxy_db_users"],
        str(prefix),
        {"auth_scheme": "rds_proxy_auth_scheme", "iam_auth": "rds_proxy_iam_auth", "users": "rds_proxy_db_users"},
    )
    return errors


def rds_proxy_fact_errors(values: Mapping[str, Any], check_mode: bool = False) -> list[str]:
    """The cluster's and the network's facts the proxy needs (by default the aurora and network roles'). In check
    mode on a new stage they do not exist yet: aurora's and network's "changed" tell what will happen."""
    errors = []
    secret = str(values["rds_proxy_secret_arn"] or "")
    end_to_end_iam = values["rds_proxy_auth_scheme"] == "IAM_AUTH"
    if (not check_mode or secret) and not (
        proxy_validation.SECRET_ARN_PATTERN.match(secret)
        and values["rds_proxy_cluster_identifier"]
        and (values["rds_proxy_master_username"] or end_to_end_iam)
        and (values["rds_proxy_cluster_resource_id"] or not end_to_end_iam)
    ):
        needed = (
            f"for end-to-end IAM, rds_proxy_cluster_resource_id ('{values['rds_proxy_cluster_resource_id']}')"
            if end_to_end_iam
            else f"rds_proxy_master_username ('{values['rds_proxy_master_username']}')"
        )
        errors.append(
            f"the proxy needs rds_proxy_secret_arn (a Secrets Manager ARN, got '{secret}'),"
            f" rds_proxy_cluster_identifier ('{values['rds_proxy_cluster_identifier']}') and {needed};"
            " by default the aurora role's facts"
            " (aurora_secret_arn, aurora_cluster_identifier, aurora_cluster_resource_id, aurora_master_username):"
            " converge aurora first (--tags aurora)"
        )
    subnets = values["rds_proxy_subnet_ids"]
    group = values["rds_proxy_security_group_id"]
    if len(subnets) != 2 or not (group or check_mode):
        errors.append(
            f"the proxy needs rds_proxy_subnet_ids (two, got {len(subnets)}) and rds_proxy_security_group_id"
            f" ('{group}'); by default the network role's facts (network_private_subnet_ids and"
            " network_security_group_ids.database): converge the network first (--tags network)"
        )
    return errors


# --- dev_relay -------------------------------------------------------------------------------------------


def dev_relay_input_errors(values: Mapping[str, Any]) -> list[str]:
    """The dev_relay role's options (Lambda's and API Gateway's limits, the CA bundle, the waits)."""
    errors = []
    developer, stage = values["dev_relay_developer"], values["dev_relay_api_stage"]
    if not RELAY_DEVELOPER.match(str(developer)):
        errors.append(
            f"dev_relay_developer '{developer}' must be 1 to 63 letters, digits, '.', '_' or '-',"
            " starting with a letter or digit (it names the developer's registry entry)"
        )
    if not API_STAGE.match(str(stage)):
        errors.append(f"dev_relay_api_stage '{stage}' must be 1 to 128 letters, digits, '-' or '_'")
    _range(values, "dev_relay_app_timeout", *LAMBDA_TIMEOUT, " seconds (Lambda's limit)", errors)
    _range(values, "dev_relay_app_memory", *LAMBDA_MEMORY, " MB (Lambda's limit)", errors)
    expiry = _whole(values, "dev_relay_payload_expiry_days", errors)
    if expiry is not None and expiry < 1:
        errors.append(f"dev_relay_payload_expiry_days {expiry} must be at least 1 (S3 lifecycle)")
    host, url = str(values["dev_relay_db_host"] or ""), str(values["dev_relay_db_ca_bundle_url"] or "")
    if not truthy(values["dev_relay_live"]) and host and not url:
        errors.append(
            f"dev_relay_live is false and dev_relay_db_host is '{host}', so the sample handler connects over TLS:"
            f" set dev_relay_db_ca_bundle_url to the database's CA bundle ({RDS_GLOBAL_BUNDLE} on AWS)"
        )
    if url and not CA_BUNDLE_URL.match(url):
        errors.append(
            f"dev_relay_db_ca_bundle_url '{url}' must be an https:// or file:/// URL (http:// only on a loopback"
            " address, the emulator's): the bundle decides which database certificates are trusted"
        )
    waits = {
        name: _whole(values, name, errors)
        for name in (
            "dev_relay_wait_delay",
            "dev_relay_iam_propagation_timeout",
            "dev_relay_wait_timeout",
            "dev_relay_eni_wait_timeout",
        )
    }
    if None not in waits.values() and (waits["dev_relay_wait_delay"] < 1 or min(waits.values()) < 0):
        errors.append(
            f"dev_relay_wait_delay ({waits['dev_relay_wait_delay']}) must be at least 1 second, and"
            f" dev_relay_iam_propagation_timeout ({waits['dev_relay_iam_propagation_timeout']}),"
            f" dev_relay_wait_timeout ({waits['dev_relay_wait_timeout']}) and dev_relay_eni_wait_timeout"
            f" ({waits['dev_relay_eni_wait_timeout']}) at least 0 seconds"
        )
    return errors


# --- the rules that span roles ---------------------------------------------------------------------------


def _declared_users(values: Mapping[str, Any]) -> list[str]:
    """The aurora role's users: as it published them (aurora_user_names), else as declared (aurora_users)."""
    if isinstance(values.get("aurora_user_names"), list):
        return [str(name) for name in values["aurora_user_names"]]
    return [str(user.get("name", "")) for user in values.get("aurora_users") or [] if isinstance(user, Mapping)]


def _declared_databases(values: Mapping[str, Any]) -> list[str]:
    found = values.get("aurora_database_names", values.get("aurora_databases"))
    return [str(name) for name in found] if isinstance(found, list) else []


def proxy_errors(values: Mapping[str, Any]) -> list[str]:
    """The proxy against the cluster: its target exists, the warning flag agrees, it serves declared users."""
    errors: list[str] = []
    state = values.get("rds_proxy_state")
    if state == "present" and values.get("aurora_state") == "absent":
        errors.append(
            "rds_proxy_state present needs aurora_state present (or info): the proxy's target is the stage's"
            " Aurora cluster, which aurora_state absent deletes"
        )
    # The other way round (a proxy absent, aurora_with_proxy true) costs only a warning that does not apply.
    if state == "present" and "aurora_with_proxy" in values and not truthy(values["aurora_with_proxy"]):
        errors.append(
            "aurora_with_proxy false contradicts rds_proxy_state present: the stage gets a proxy, which keeps"
            " connections to the cluster open; set aurora_with_proxy true (the aurora role then warns when that"
            " keeps a scale-to-zero cluster awake)"
        )
    declared = _declared_users(values)
    if state == "present" and declared and isinstance(values.get("rds_proxy_db_users"), list):
        for index, user in enumerate(values["rds_proxy_db_users"]):
            if user not in declared:
                errors.append(
                    f"rds_proxy_db_users[{index}] '{user}' is not one of the users of aurora_users"
                    f" ({', '.join(declared)}): the proxy would let connect a user the cluster does not have"
                )
    return errors


def relay_errors(values: Mapping[str, Any]) -> list[str]:
    """The relay's database user and database: declared by the aurora role, and reachable through the proxy."""
    if values.get("dev_relay_state", "present") != "present":
        return []
    errors: list[str] = []
    user, database = values.get("dev_relay_db_user"), values.get("dev_relay_db_name")
    users = [item for item in values.get("aurora_users") or [] if isinstance(item, Mapping)]
    declared = _declared_users(values)
    # The master user is not among aurora_users (it keeps its password), but a proxy that is not end-to-end IAM
    # lets connect only it.
    if user is not None and declared and user not in declared and user != values.get("aurora_master_username"):
        errors.append(
            f"dev_relay_db_user '{user}' is not one of the users of aurora_users ({', '.join(declared)}):"
            " the sample handler would connect as a user the cluster does not have"
        )
    databases = _declared_databases(values)
    if database is not None and databases and database not in databases:
        errors.append(
            f"dev_relay_db_name '{database}' is not one of aurora_databases ({', '.join(map(str, databases))})"
        )
    entry = next((item for item in users if item.get("name") == user), None)
    granted = [grant.get("database") for grant in (entry or {}).get("grants") or [] if isinstance(grant, Mapping)]
    if entry is not None and database in databases and database not in granted:
        errors.append(
            f"aurora_users '{user}' (dev_relay_db_user) has no grant on '{database}' (dev_relay_db_name):"
            " the sample handler could not use its database"
        )
    if values.get("rds_proxy_state") == "present" and user is not None:
        if values.get("rds_proxy_auth_scheme") == "IAM_AUTH":
            proxy_users, rule = values.get("rds_proxy_db_users") or declared, "rds_proxy_db_users"
        else:
            proxy_users = [values.get("aurora_master_username")]
            rule = f"aurora_master_username (rds_proxy_auth_scheme {values.get('rds_proxy_auth_scheme')})"
        if "rds_proxy_auth_scheme" in values and proxy_users and user not in proxy_users:
            errors.append(
                f"dev_relay_db_user '{user}' is not a user the proxy lets connect, {rule}"
                f" ({', '.join(map(str, proxy_users))}): the app function's IAM token would be refused"
            )
    return errors


RULES = {
    "network": network_cidr_errors,
    "client_vpn": client_vpn_cidr_errors,
    "rds_proxy": proxy_errors,
    "dev_relay": relay_errors,
}
# The variables the rules that span roles read, each only when it is defined.
VARIABLES = (
    "network_vpc_cidr",
    "network_private_subnet_cidrs",
    "network_public_subnet_cidr",
    "network_nat_per_az",
    "network_public_subnet_b_cidr",
    "client_vpn_client_cidr",
    "aurora_state",
    "aurora_with_proxy",
    "aurora_master_username",
    "aurora_users",
    "aurora_user_names",
    "aurora_databases",
    "aurora_database_names",
    "rds_proxy_state",
    "rds_proxy_auth_scheme",
    "rds_proxy_db_users",
    "dev_relay_state",
    "dev_relay_db_user",
    "dev_relay_db_name",
)


def stage_input_errors(values: Mapping[str, Any], roles: Iterable[str] = tuple(RULES)) -> list[str]:
    """Every rule of ``roles`` that the variables in ``values`` break, each message naming the variables."""
    return [error for role in roles for error in RULES[role](values)]
