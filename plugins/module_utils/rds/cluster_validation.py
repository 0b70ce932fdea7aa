# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""AWS's rules for an Aurora cluster's identifier, master credentials and log exports (docs/aws-limits.md).

Each check returns a list of messages naming the option, the value and the rule. A password is
never quoted in a message: only which rule it breaks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

CLUSTER_IDENTIFIER_MAX = 63
_CLUSTER_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
MASTER_USERNAME_MAX = 16
_MASTER_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
MASTER_PASSWORD_MIN = 8
MASTER_PASSWORD_MAX = 41
MASTER_PASSWORD_FORBIDDEN = frozenset('/"@ ')

# Words RDS refuses as the master user of Aurora MySQL: its own accounts, and MySQL 8.0 reserved
# words that can pass the alphanumeric rule. Not every reserved word of MySQL is listed: the list
# holds the ones a person might pick as a user name, and AWS remains the final judge.
RESERVED_MASTER_USERNAMES = frozenset(
    """
    rdsadmin rdsrepladmin rdsproxyadmin
    accessible add all alter analyze and as asc before between both by call cascade case change check collate
    column condition constraint continue convert create cross cube current database databases default delayed
    delete desc describe distinct div drop dual each else elseif empty enclosed escaped except exists exit
    explain false fetch for force foreign from function generated get grant group grouping groups having
    ignore in index infile inner insert interval into is iterate join key keys kill lag lateral lead leading
    leave left like limit linear lines load lock loop match merge mod natural not null of on optimize option
    or order out outer over partition primary procedure purge range rank read reads recursive references
    regexp release rename repeat replace require resignal restrict return revoke right rlike row rows schema
    schemas select sensitive separator set show signal spatial specific sql sqlexception sqlstate sqlwarning
    ssl starting stored straight system table terminated then to trailing trigger true undo union unique
    unlock unsigned update usage use using values varying virtual when where while window with write xor
    """.split()
)

AURORA_MYSQL_LOG_TYPES = ("audit", "error", "general", "slowquery", "instance", "iam-db-auth-error")


def cluster_identifier_errors(value: str, name: str = "cluster_identifier") -> list[str]:
    rules = []
    if not 1 <= len(value) <= CLUSTER_IDENTIFIER_MAX:
        rules.append(f"be 1 to {CLUSTER_IDENTIFIER_MAX} characters long (it has {len(value)})")
    if value and not _CLUSTER_IDENTIFIER.match(value):
        rules.append("start with a letter and hold only letters, digits and hyphens")
    if value.endswith("-"):
        rules.append("not end with a hyphen")
    if "--" in value:
        rules.append("not contain two consecutive hyphens")
    return [f"{name} '{value}' must {rule}" for rule in rules]


def master_username_errors(value: str, name: str = "master_username") -> list[str]:
    errors = []
    if not 1 <= len(value) <= MASTER_USERNAME_MAX or not _MASTER_USERNAME.match(value):
        errors.append(f"{name} '{value}' must be 1 to {MASTER_USERNAME_MAX} letters and digits, starting with a letter")
    if value.lower() in RESERVED_MASTER_USERNAMES:
        errors.append(f"{name} '{value}' is a reserved word of RDS or MySQL")
    return errors


def master_password_errors(value: str, name: str = "master_password") -> list[str]:
    """Which rules the password breaks, without ever quoting it."""
    rules = []
    if not MASTER_PASSWORD_MIN <= len(value) <= MASTER_PASSWORD_MAX:
        rules.append(f"be {MASTER_PASSWORD_MIN} to {MASTER_PASSWORD_MAX} characters long (it has {len(value)})")
    if any(not " " <= char <= "~" for char in value):
        rules.append("hold printable ASCII characters only")
    if MASTER_PASSWORD_FORBIDDEN & set(value):
        rules.append("not contain '/', '\"', '@' or a space")
    return [f"{name} must {rule}" for rule in rules]


def log_export_errors(
    values: Iterable[str], allowed: Iterable[str] = AURORA_MYSQL_LOG_TYPES, name: str = "log_exports"
) -> list[str]:
    known = sorted(set(allowed))
    return [
        f"{name} has an unknown log type '{value}' (the engine exports {', '.join(known)})"
        for value in values
        if value not in known
    ]
