# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""Databases, IAM database users and their grants of an Aurora MySQL cluster, as declared state.

The rules of the declaration (``input_errors``), the SQL that reads the cluster's state and the
statements that converge it (``plan``). Every name reaches SQL only after it passed the rules, and
then quoted (``identifier``, ``account``), never concatenated raw.

Scope: application users are the accounts ``'<name>'@'%'`` (the host AWS's examples use). Accounts of
any other host (``rdsadmin@localhost``, ``mysql.sys@localhost``, ``root@localhost``), the master user,
AWS's and MySQL's own accounts and roles, the system schemas and the cluster's ``DatabaseName`` are
never dropped, purge or not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

USER_NAME_MAX = 32  # MySQL 8.0 (Aurora MySQL 3)
DATABASE_NAME_MAX = 64
_USER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_DATABASE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
IAM_PLUGIN = "AWSAuthenticationPlugin"
HOST = "%"
ALL = "ALL"

# Database-level privileges of MySQL 8.0 ("Permissible Privileges for GRANT and REVOKE"), GRANT OPTION
# left out: a declared user does not hand its privileges on.
DATABASE_PRIVILEGES = frozenset(
    {
        ALL,
        "ALTER",
        "ALTER ROUTINE",
        "CREATE",
        "CREATE ROUTINE",
        "CREATE TEMPORARY TABLES",
        "CREATE VIEW",
        "DELETE",
        "DROP",
        "EVENT",
        "EXECUTE",
        "INDEX",
        "INSERT",
        "LOCK TABLES",
        "REFERENCES",
        "SELECT",
        "SHOW VIEW",
        "TRIGGER",
        "UPDATE",
    }
)
SYSTEM_DATABASES = frozenset({"information_schema", "mysql", "performance_schema", "sys"})
# Accounts and roles of RDS, Aurora and MySQL (Aurora MySQL 3 user guide, "Role-based privilege model").
RESERVED_USERS = frozenset(
    {"rdsadmin", "rdsrepladmin", "rdsproxyadmin", "rds_superuser_role", "root", "mariadb.sys", "public"}
)


def cluster_identifier(cluster: str) -> str:
    """The identifier in a cluster ARN (arn:aws:rds:<region>:<account>:cluster:<identifier>), or the identifier."""
    return cluster.split(":cluster:", 1)[1] if cluster.startswith("arn:") and ":cluster:" in cluster else cluster


def application_user(name: str, host: str, master_username: str) -> bool:
    """An account the declaration covers: ``'<name>'@'%'``, not the master user nor one of RDS or MySQL."""
    return host == HOST and name != master_username and not reserved_user(name)


def reserved_user(name: str) -> bool:
    lowered = name.lower()
    return lowered in RESERVED_USERS or lowered.startswith(("mysql.", "aws_", "rds_"))


def normalise_privileges(privileges: Iterable[str]) -> frozenset[str]:
    """Upper case, single spaces, ``ALL PRIVILEGES`` as ``ALL``; ``USAGE`` (no privilege) left out."""
    found = set()
    for privilege in privileges:
        name = " ".join(str(privilege).upper().split())
        found.add(ALL if name == "ALL PRIVILEGES" else name)
    found.discard("USAGE")
    return frozenset({ALL}) if ALL in found else frozenset(found)


# -- the declaration's rules --------------------------------------------------------------------


def _names_errors(kind: str, option: str, names: list[Any], pattern: re.Pattern, longest: int) -> list[str]:
    errors = []
    seen: dict[str, str] = {}
    for index, name in enumerate(names):
        where = f"{option}[{index}]"
        if not isinstance(name, str) or not pattern.match(name) or len(name) > longest:
            errors.append(
                f"{where} {name!r} must be a {kind} name of 1 to {longest} characters: a letter, then letters,"
                " digits or underscores"
            )
            continue
        if name.lower() in seen:
            errors.append(
                f"{where} {name!r} is declared twice (as {seen[name.lower()]!r}; names compare ignoring case)"
            )
        seen.setdefault(name.lower(), name)
    return errors


def input_errors(
    databases: Any,
    users: Any,
    purge: bool = False,
    master_username: str | None = None,
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """Every rule that the declared databases and users break, each naming the option."""
    names = {"databases": "databases", "users": "users", "purge": "purge", **(names or {})}
    errors: list[str] = []
    if not isinstance(databases, list):
        return [f"{names['databases']} must be a list of database names"]
    if not isinstance(users, list):
        return [f"{names['users']} must be a list of users ({{name: ..., grants: [...]}})"]
    errors += _names_errors("database", names["databases"], databases, _DATABASE_NAME, DATABASE_NAME_MAX)
    for index, name in enumerate(databases):
        if isinstance(name, str) and name.lower() in SYSTEM_DATABASES:
            errors.append(f"{names['databases']}[{index}] {name!r} is a system schema of MySQL")
    declared_databases = {name for name in databases if isinstance(name, str)}

    user_names = [user.get("name") if isinstance(user, Mapping) else None for user in users]
    errors += _names_errors("MySQL user", names["users"], user_names, _USER_NAME, USER_NAME_MAX)
    for index, user in enumerate(users):
        where = f"{names['users']}[{index}]"
        if not isinstance(user, Mapping):
            continue
        extra = sorted(set(user) - {"name", "grants"})
        if extra:
            errors.append(f"{where} has unknown keys {extra}: a user has a name and grants (IAM authentication only)")
        name = user.get("name")
        if isinstance(name, str) and reserved_user(name):
            errors.append(f"{where} {name!r} is reserved for an account or role of RDS or MySQL")
        if isinstance(name, str) and master_username and name.lower() == str(master_username).lower():
            errors.append(f"{where} {name!r} is the cluster's master user, which keeps its password")
        grants = user.get("grants", [])
        if not isinstance(grants, list):
            errors.append(f"{where}.grants must be a list of {{database: ..., privileges: [...]}}")
            continue
        granted: set[str] = set()
        for number, grant in enumerate(grants):
            at = f"{where}.grants[{number}]"
            if not isinstance(grant, Mapping) or not isinstance(grant.get("privileges"), list):
                errors.append(f"{at} must be {{database: <name>, privileges: [<privilege>, ...]}}")
                continue
            database = grant.get("database")
            if database not in declared_databases:
                errors.append(f"{at}.database {database!r} is not one of {names['databases']}")
            elif database in granted:
                errors.append(f"{at}.database {database!r} has a grant already: list its privileges once")
            granted.add(database)
            privileges = normalise_privileges(grant["privileges"])
            unknown = sorted(privileges - DATABASE_PRIVILEGES)
            if unknown or not grant["privileges"]:
                errors.append(
                    f"{at}.privileges {list(grant['privileges'])!r}: {unknown or 'empty'} "
                    f"{'is not a database privilege of MySQL' if unknown else 'must name a privilege'}"
                    f" (one of {', '.join(sorted(DATABASE_PRIVILEGES))})"
                )
            if ALL in privileges and len(grant["privileges"]) > 1:
                errors.append(f"{at}.privileges: ALL holds every other privilege, give it alone")
    if purge and not users:
        errors.append(
            f"{names['purge']} is true with no {names['users']}: it would drop every application user;"
            " declare the users to keep"
        )
    return errors


def desired_state(databases: list[str], users: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The declaration in the form ``current_state`` gives: databases, and each user's grants per database."""
    return {
        "databases": sorted(databases),
        "users": {
            user["name"]: {
                "grants": {
                    grant["database"]: sorted(normalise_privileges(grant["privileges"]))
                    for grant in user.get("grants") or []
                }
            }
            for user in users
        },
    }


# -- SQL: reading -------------------------------------------------------------------------------

LIST_USERS = "SELECT User, Host, plugin, ssl_type FROM mysql.user"
LIST_DATABASES = "SHOW DATABASES"
_GRANT = re.compile(r"^GRANT (?P<privileges>.+?) ON (?P<target>\S+) TO ", re.IGNORECASE)
_DATABASE_TARGET = re.compile(r"^`(?P<name>(?:[^`]|``)*)`\.\*$")


def identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def account(name: str) -> str:
    """``'name'@'%'``."""
    return f"{_string(name)}@{_string(HOST)}"


def grant_pattern(database: str) -> str:
    """The database as a GRANT pattern: ``_`` and ``%`` escaped, else GRANT takes them as wildcards matching
    other databases too. Grants are compared as patterns, as SHOW GRANTS writes them."""
    return re.sub(r"([_%])", r"\\\1", database)


def database_of(pattern: str) -> str:
    """The database a pattern names; a pattern with a wildcard stays as it is."""
    return pattern if re.search(r"(?<!\\)[_%]", pattern) else re.sub(r"\\([_%])", r"\1", pattern)


def show_grants(name: str) -> str:
    return f"SHOW GRANTS FOR {account(name)}"


def parse_grants(lines: Iterable[str]) -> dict[str, frozenset[str]]:
    """SHOW GRANTS as {database pattern: privileges}, ``*`` for the global ones. Table and column grants
    and granted roles are left out (not managed)."""
    grants: dict[str, frozenset[str]] = {}
    for line in lines:
        match = _GRANT.match(line)
        if not match:
            continue
        database = _DATABASE_TARGET.match(match["target"])
        if match["target"] == "*.*":
            key = "*"
        elif database:
            key = database["name"].replace("``", "`")
        else:
            continue
        privileges = normalise_privileges(p for p in match["privileges"].split(",") if "(" not in p)
        if privileges:
            grants[key] = grants.get(key, frozenset()) | privileges
    return grants


def current_state(
    user_rows: Iterable[tuple], databases: Iterable[str], grants: Mapping[str, Mapping[str, frozenset[str]]]
) -> dict[str, Any]:
    """The cluster's databases and ``'%'`` accounts (plugin, ssl_type, grants by pattern), from the reading
    SQL's rows."""
    accounts = {
        str(user): {"plugin": str(plugin or ""), "ssl_type": str(ssl_type or "")}
        for user, host, plugin, ssl_type in user_rows
        if host == HOST
    }
    for user, found in accounts.items():
        found["grants"] = {key: sorted(value) for key, value in (grants.get(user) or {}).items()}
    return {"databases": sorted(databases), "accounts": accounts}


# -- the plan -----------------------------------------------------------------------------------


def _grant_statements(name: str, current: Mapping[str, list[str]], desired: Mapping[str, list[str]]) -> list[str]:
    """GRANT and REVOKE so that the grants by pattern ``current`` become ``desired`` (by database)."""
    statements = []
    who = account(name)
    wanted = {grant_pattern(database): privileges for database, privileges in desired.items()}
    for key in sorted(set(current) | set(wanted)):
        have, want = frozenset(current.get(key, ())), frozenset(wanted.get(key, ()))
        if have == want:
            continue
        target = "*.*" if key == "*" else identifier(key) + ".*"
        if ALL in have:
            statements.append(f"REVOKE ALL PRIVILEGES ON {target} FROM {who}")
            have = frozenset()
        elif have - want and ALL not in want:
            statements.append(f"REVOKE {', '.join(sorted(have - want))} ON {target} FROM {who}")
        if want - have:
            privileges = "ALL PRIVILEGES" if ALL in want else ", ".join(sorted(want - have))
            statements.append(f"GRANT {privileges} ON {target} TO {who}")
    return statements


def plan(
    current: Mapping[str, Any],
    desired: Mapping[str, Any],
    purge: bool,
    master_username: str,
    kept_databases: Iterable[str] = (),
) -> tuple[list[str], list[str], dict[str, Any], dict[str, Any]]:
    """(statements, problems, before, after). Problems (a declared user that has a password) stop the run
    before any statement; before and after are what the diff shows: databases and application users."""
    accounts: Mapping[str, Any] = current["accounts"]
    problems = [
        f"user {name!r} exists with the {accounts[name]['plugin'] or 'no'} authentication plugin, not {IAM_PLUGIN}:"
        " it was not made by this module and something may use its password. Drop it, or make it an IAM user"
        f" yourself (ALTER USER {account(name)} IDENTIFIED WITH {IAM_PLUGIN} AS 'RDS'), then run again"
        for name in desired["users"]
        if name in accounts and accounts[name]["plugin"] != IAM_PLUGIN
    ]
    protected_databases = SYSTEM_DATABASES | {name.lower() for name in kept_databases}
    statements = [
        f"CREATE DATABASE {identifier(name)}" for name in desired["databases"] if name not in current["databases"]
    ]
    for name, wanted in desired["users"].items():
        if name not in accounts:
            statements.append(f"CREATE USER {account(name)} IDENTIFIED WITH {IAM_PLUGIN} AS 'RDS' REQUIRE SSL")
        elif accounts[name]["ssl_type"] == "":
            statements.append(f"ALTER USER {account(name)} REQUIRE SSL")
        statements += _grant_statements(name, accounts.get(name, {}).get("grants", {}), wanted["grants"])
    dropped_users = sorted(
        name
        for name in accounts
        if purge and name not in desired["users"] and application_user(name, HOST, master_username)
    )
    dropped_databases = sorted(
        name
        for name in current["databases"]
        if purge and name not in desired["databases"] and name.lower() not in protected_databases
    )
    statements += [f"DROP USER {account(name)}" for name in dropped_users]
    statements += [f"DROP DATABASE {identifier(name)}" for name in dropped_databases]

    def shown(users: Mapping[str, Any], databases: Iterable[str]) -> dict[str, Any]:
        return {
            "databases": sorted(name for name in databases if name.lower() not in SYSTEM_DATABASES),
            "users": {
                name: {"grants": {database_of(key): value for key, value in found["grants"].items()}}
                for name, found in sorted(users.items())
                if application_user(name, HOST, master_username)
            },
        }

    before = shown(accounts, current["databases"])
    after_users = {name: found for name, found in accounts.items() if name not in dropped_users}
    after_users.update(
        {
            name: {"grants": {grant_pattern(db): value for db, value in wanted["grants"].items()}}
            for name, wanted in desired["users"].items()
        }
    )
    after = shown(after_users, set(current["databases"]) - set(dropped_databases) | set(desired["databases"]))
    return statements, problems, before, after
