"""``livestack-sql``: a SQL session on the stage's RDS Proxy, as yourself, in one command.

    livestack-sql --stage dev                          # interactive: the mysql client, else a built-in shell
    livestack-sql --stage dev -e "SELECT CURRENT_USER()"   # one statement, printed tab-separated with a header

Reads the stage's outputs (``~/.livestack/<project>-<stage>/outputs.json``, written by site.yml), makes a
fresh IAM token for the user with your own AWS credentials, and connects to the proxy over TLS verified
against the stage's CA bundle (the RDS bundle on AWS, the emulator's locally), through the Client VPN.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pymysql
from botocore.exceptions import BotoCoreError
from pymysql.constants import CLIENT

EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}  # it takes any
ACCESS_DENIED = 1045
CONNECT_TIMEOUT = 10


class Fatal(Exception):
    """What stops the command, said plainly in one message."""


@dataclass
class Target:
    """Where and as whom to connect, from the stage's outputs and the options."""

    endpoint: str  # the proxy's endpoint as the API reports it: the IAM token names it
    port: int
    address: str  # where to connect: the endpoint, or the address given for it (--address)
    user: str
    database: str | None
    region: str
    account: str
    resource_id: str
    policy_arn: str | None
    profiles: dict[str, str]  # developer -> OpenVPN profile path
    bundle: Path
    emulator: bool  # the stage runs on the local emulator, which takes any credentials


def parser() -> argparse.ArgumentParser:
    environ = os.environ
    parse = argparse.ArgumentParser(prog="livestack-sql", description=__doc__.splitlines()[0])
    parse.add_argument("--stage", default=environ.get("LIVESTACK_STAGE"), help="the livestack stage (required)")
    parse.add_argument("--project", default=environ.get("LIVESTACK_PROJECT", "livestack"), help="default: livestack")
    parse.add_argument(
        "--outputs", type=Path, help="the stage's outputs (default: ~/.livestack/<project>-<stage>/outputs.json)"
    )
    parse.add_argument("--user", help="database user (default: the stage's first user)")
    parse.add_argument("--database", help="default database (default: the stage's first database)")
    parse.add_argument("-e", "--execute", metavar="SQL", help="run SQL, print the result tab-separated, and exit")
    parse.add_argument("--profile", help="AWS profile for the token (default: the usual credential chain)")
    parse.add_argument("--ca-bundle", type=Path, help="CA bundle verifying the proxy (default: the stage's)")
    parse.add_argument(
        "--address",
        help="connect to this address in place of the endpoint's own (the token and the TLS name stay the endpoint's "
        "unless the certificate names this address)",
    )
    parse.add_argument(
        "--client",
        choices=("auto", "mysql", "builtin"),
        default="auto",
        help="auto: the mysql client when installed, else the built-in shell on pymysql",
    )
    return parse


def outputs_path(project: str, stage: str) -> Path:
    return Path.home() / ".livestack" / f"{project}-{stage}" / "outputs.json"


def load_outputs(path: Path, project: str, stage: str) -> dict[str, Any]:
    """The stage's outputs; a missing file is a stage never converged (or torn down) on this machine."""
    try:
        outputs = json.loads(path.read_text())
    except FileNotFoundError:
        raise Fatal(
            f"no outputs of stage {stage!r} (project {project!r}) at {path}: converge the stage first "
            f"(ansible-playbook playbooks/site.yml -e livestack_stage={stage}), or give --outputs"
        ) from None
    except (OSError, ValueError) as error:
        raise Fatal(f"cannot read the stage's outputs {path}: {error}") from None
    proxy = outputs.get("rds_proxy") or {}
    if not proxy.get("endpoint"):
        raise Fatal(f"{path} names no RDS Proxy endpoint (rds_proxy.endpoint): converge the rds_proxy role first")
    return outputs


def names(entries: Any) -> list[str]:
    """Names of a list of names or of {name: ...} dicts (the aurora role's users and databases)."""
    return [entry["name"] if isinstance(entry, dict) else str(entry) for entry in entries or []]


def region_of(outputs: dict[str, Any]) -> str:
    stage = outputs.get("stage") or {}
    if stage.get("region"):
        return stage["region"]
    arn = (outputs.get("rds_proxy") or {}).get("arn", "")  # arn:aws:rds:<region>:<account>:db-proxy:prx-...
    if arn.count(":") >= 5:
        return arn.split(":")[3]
    raise Fatal("the stage's outputs give no region (stage.region, rds_proxy.arn)")


def ca_bundle(outputs: dict[str, Any], cache: Path) -> Path:
    """The stage's CA bundle, fetched from its URL (kept beside the outputs), or the copy kept last time."""
    url = (outputs.get("stage") or {}).get("ca_bundle_url")
    if not url:
        raise Fatal("the stage's outputs name no CA bundle (stage.ca_bundle_url): give --ca-bundle")
    try:
        with urllib.request.urlopen(url, timeout=CONNECT_TIMEOUT) as response:
            pem = response.read()
        if b"-----BEGIN CERTIFICATE-----" not in pem:
            raise ValueError("not a PEM certificate bundle")
    except (OSError, ValueError) as error:
        if cache.is_file():
            return cache
        raise Fatal(f"cannot fetch the CA bundle {url}: {error}; give --ca-bundle") from None
    try:
        if not cache.is_file() or cache.read_bytes() != pem:
            cache.write_bytes(pem)
    except OSError as error:
        raise Fatal(f"cannot keep the CA bundle at {cache}: {error}; give --ca-bundle") from None
    return cache


def target(args: argparse.Namespace) -> Target:
    if not args.stage:
        raise Fatal("--stage is required (or LIVESTACK_STAGE)")
    path = args.outputs or outputs_path(args.project, args.stage)
    outputs = load_outputs(path, args.project, args.stage)
    proxy, aurora = outputs["rds_proxy"], outputs.get("aurora") or {}
    user = args.user or next(iter(names(aurora.get("users"))), None)
    if not user:
        raise Fatal(f"{path} names no database user (aurora.users): give --user")
    policies = proxy.get("client_policy_arns") or {}
    return Target(
        endpoint=proxy["endpoint"],
        port=int(proxy.get("port") or 3306),
        address=args.address or proxy["endpoint"],
        user=user,
        database=args.database or next(iter(names(aurora.get("databases"))), None),
        region=region_of(outputs),
        account=(proxy.get("arn", "").split(":")[4:5] or ["<account>"])[0],
        resource_id=proxy.get("resource_id", "<proxy resource id>"),
        policy_arn=policies.get(user),
        profiles=(outputs.get("client_vpn") or {}).get("profiles") or {},
        bundle=args.ca_bundle or ca_bundle(outputs, path.parent / "rds-ca-bundle.pem"),
        emulator=bool((outputs.get("stage") or {}).get("endpoint_url")),
    )


def auth_token(target: Target, profile: str | None) -> str:
    """A fresh IAM token (15 minutes) for the user at the proxy's endpoint, signed with your own credentials."""
    try:
        session = boto3.session.Session(profile_name=profile, region_name=target.region)
        if session.get_credentials() is None and target.emulator:
            os.environ.update(EMULATOR_CREDENTIALS)
            session = boto3.session.Session(profile_name=profile, region_name=target.region)
        if session.get_credentials() is None:
            raise Fatal("no AWS credentials found: set AWS_PROFILE (or --profile), or sign in (aws sso login)")
        return session.client("rds").generate_db_auth_token(target.endpoint, target.port, target.user, target.region)
    except BotoCoreError as error:  # an unknown profile, a broken config file
        raise Fatal(str(error)) from None


def vpn_hint(profiles: dict[str, str]) -> str:
    if not profiles:
        return "connect to the stage's Client VPN first"
    mine = profiles.get(getpass.getuser())
    choices = [mine] if mine else list(profiles.values())
    return "connect to the VPN first: " + " or ".join(f"openvpn --config {path}" for path in choices)


def connect(target: Target, token: str) -> pymysql.connections.Connection:
    """A connection as the user, TLS verified; every refusal turned into what to do about it."""
    where = f"the RDS Proxy at {target.address}:{target.port}"
    try:
        context = ssl.create_default_context(cafile=str(target.bundle))
    except (OSError, ssl.SSLError) as error:
        raise Fatal(f"TLS: cannot use the CA bundle {target.bundle}: {error}") from None
    try:
        return pymysql.connect(
            host=target.address,
            port=target.port,
            user=target.user,
            password=token,
            database=target.database,
            ssl=context,
            connect_timeout=CONNECT_TIMEOUT,
            autocommit=True,  # as the mysql client: a statement commits unless a transaction was begun
            client_flag=CLIENT.MULTI_STATEMENTS,  # -e "a; b" as the mysql client runs it
        )
    except pymysql.err.OperationalError as error:
        code, message = error.args[0], error.args[-1]
        cause = getattr(error, "original_exception", None)
        if isinstance(cause, ssl.SSLCertVerificationError):
            raise Fatal(
                f"TLS: the certificate of {where} is not verified by the CA bundle {target.bundle}: "
                f"{cause.verify_message} (is the bundle the stage's? on AWS the RDS bundle, on the emulator its own)"
            ) from None
        if isinstance(cause, ssl.SSLError):
            raise Fatal(f"TLS with {where} failed (CA bundle {target.bundle}): {cause}") from None
        if isinstance(cause, OSError):
            reason = cause.strerror or str(cause) or type(cause).__name__
            raise Fatal(f"cannot reach {where} ({reason}): {vpn_hint(target.profiles)}") from None
        if code == ACCESS_DENIED:
            policy = (
                f"the stage's policy for it is {target.policy_arn}: attach it to your IAM user or role"
                if target.policy_arn
                else "the stage publishes no client policy for this user (rds_proxy.client_policy_arns)"
            )
            raise Fatal(
                f"the proxy refused the IAM token of user {target.user!r} ({message}): your AWS identity needs "
                f"rds-db:connect on arn:aws:rds-db:{target.region}:{target.account}:dbuser:{target.resource_id}/"
                f"{target.user}; {policy} (and the user must exist in the database: aurora_users)"
            ) from None
        raise Fatal(f"{where}: {message}") from None


def batch_value(value: Any) -> str:
    """A value as ``mysql --batch`` prints it: NULL, and tab, newline and backslash escaped."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes | bytearray):
        value = value.decode(errors="replace")
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\0", "\\0")


def execute(connection: pymysql.connections.Connection, sql: str) -> None:
    """Run SQL, print each result set as ``mysql --batch`` does (tab-separated, a header line)."""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        while True:
            if cursor.description:
                print("\t".join(column[0] for column in cursor.description))
                for row in cursor.fetchall():
                    print("\t".join(batch_value(value) for value in row))
            if not cursor.nextset():
                break


def shell(connection: pymysql.connections.Connection) -> int:
    """The built-in shell: statements end with ';', 'exit' or end of input quits; errors go on."""
    source = sys.stdin
    interactive = source.isatty()
    status, pending = 0, []
    while True:
        if interactive:
            print("sql> " if not pending else "  -> ", end="", flush=True)
        line = source.readline()
        if not line:
            break
        if not pending and line.strip().rstrip(";").lower() in ("exit", "quit", r"\q"):
            break
        pending.append(line)
        statement = "".join(pending).strip()
        if not statement.endswith(";"):
            continue
        pending = []
        try:
            execute(connection, statement.rstrip(";"))
        except pymysql.MySQLError as error:
            print(f"ERROR {error.args[0]}: {error.args[-1]}", file=sys.stderr)
            status = 1
    return status


def mysql_client() -> str | None:
    return shutil.which("mysql") or shutil.which("mariadb")


def run_mysql_client(program: str, target: Target, token: str, sql: str | None) -> int:
    """The mysql client on the same token, passed in an option file of our own (0600, private directory)."""
    # MariaDB's client sends a cleartext password over TLS by itself (its --enable-cleartext-plugin is obsolete);
    # MySQL's needs the option, and names host verification differently.
    mariadb = "MariaDB" in subprocess.run([program, "--version"], capture_output=True, text=True).stdout
    verify = ["ssl-verify-server-cert"] if mariadb else ["ssl-mode=VERIFY_IDENTITY", "enable-cleartext-plugin"]
    options = [
        "[client]",
        f"host={target.address}",
        f"port={target.port}",
        f"user={target.user}",
        f'password="{token}"',
        f"ssl-ca={target.bundle}",
        *verify,
    ]
    argv = [program]
    with tempfile.TemporaryDirectory(prefix="livestack-sql-") as private:  # 0700
        defaults = Path(private) / "my.cnf"
        defaults.touch(0o600)
        defaults.write_text("\n".join(options) + "\n")
        argv.append(f"--defaults-file={defaults}")  # only ours: a ~/.my.cnf password would replace the token
        if sql is not None:
            argv += ["--batch", "--execute", sql]
        if target.database:
            argv.append(target.database)
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the client's (cancels a query)
        try:
            return subprocess.run(argv).returncode
        finally:
            signal.signal(signal.SIGINT, previous)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        program = mysql_client() if args.client != "builtin" else None
        if args.client == "mysql" and not program:
            raise Fatal("the mysql client is not installed (apt-get install mariadb-client, or mysql-client)")
        stage = target(args)
        token = auth_token(stage, args.profile)
        connection = connect(stage, token)
        path = f"{stage.user}@{stage.endpoint}:{stage.port}"
        if stage.address != stage.endpoint:
            path += f" via {stage.address}"
        print(f"livestack-sql: {path}, TLS verified by {stage.bundle}", file=sys.stderr)
        if program:
            connection.close()
            return run_mysql_client(program, stage, token, args.execute)
        with contextlib.closing(connection):
            if args.execute is not None:
                try:
                    execute(connection, args.execute)
                except pymysql.MySQLError as error:
                    print(f"ERROR {error.args[0]}: {error.args[-1]}", file=sys.stderr)
                    return 1
                return 0
            return shell(connection)
    except Fatal as error:
        print(f"livestack-sql: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
