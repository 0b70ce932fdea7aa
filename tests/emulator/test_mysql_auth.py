"""The front end's checks without a server: IAM tokens (rds_token) and the mysql_native_password maths."""

from __future__ import annotations

import datetime
import hashlib
import json
import os

import boto3
import pytest
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto import mock_aws
from pymysql import _auth

from livestack_emulator.dataplane import mysql, rds_token
from livestack_emulator.dataplane.mysql_proxy import recover_password_sha1, scramble

HOST, PORT, USER, REGION = "127.77.1.2", 3306, "app", "us-east-1"


def token(user=USER, host=HOST, port=PORT, region=REGION, key="testing", secret="testing", session=None) -> str:
    rds = boto3.client(
        "rds", region_name=region, aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=session
    )
    return rds.generate_db_auth_token(host, port, user)


def test_a_token_from_generate_db_auth_token_is_good():
    signer = rds_token.verify(token(), HOST, PORT, USER, REGION)
    assert signer.access_key == "testing"
    assert signer.arn == "arn:aws:iam::123456789012:user/testing"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: token(user="other"), "for the user 'other'"),
        (lambda: token(host="127.77.1.3"), "is for 127.77.1.3:3306"),
        (lambda: token(port=3307), "is for 127.77.1.2:3307"),
        (lambda: token(region="eu-west-1"), "scoped to eu-west-1/rds-db"),
        (lambda: token(secret="wrong"), "signature does not match"),
        (lambda: token(key="AKIAUNKNOWN"), "not known"),
        (lambda: token().replace("DBUser=app", "DBUser=app&Extra=1"), "signature does not match"),
        (lambda: "password1", "not an IAM authentication token"),
        (lambda: token().replace("X-Amz-Expires=900", "X-Amz-Expires=nine"), "malformed"),
    ],
)
def test_bad_tokens_are_refused_with_the_reason(make, reason):
    with pytest.raises(rds_token.TokenError, match=reason):
        rds_token.verify(make(), HOST, PORT, USER, REGION)


def test_a_token_is_good_for_fifteen_minutes():
    good = token()
    now = datetime.datetime.now(datetime.UTC)
    rds_token.verify(good, HOST, PORT, USER, REGION, now=now + datetime.timedelta(minutes=14))
    with pytest.raises(rds_token.TokenError, match="expired"):
        rds_token.verify(good, HOST, PORT, USER, REGION, now=now + datetime.timedelta(minutes=16))
    with pytest.raises(rds_token.TokenError, match="future"):
        rds_token.verify(good, HOST, PORT, USER, REGION, now=now - datetime.timedelta(minutes=10))


def test_a_token_valid_longer_than_900_seconds_is_refused():
    auth = SigV4QueryAuth(Credentials("testing", "testing"), "rds-db", REGION, expires=3600)
    request = AWSRequest(method="GET", url=f"https://{HOST}:{PORT}/?Action=connect&DBUser={USER}")
    auth.add_auth(request)
    with pytest.raises(rds_token.TokenError, match="X-Amz-Expires 3600"):
        rds_token.verify(request.url.removeprefix("https://"), HOST, PORT, USER, REGION)


def test_iam_user_keys_and_sts_session_credentials_are_known():
    with mock_aws():
        iam, sts = boto3.client("iam", region_name=REGION), boto3.client("sts", region_name=REGION)
        iam.create_user(UserName="developer")
        key = iam.create_access_key(UserName="developer")["AccessKey"]
        signer = rds_token.verify(
            token(key=key["AccessKeyId"], secret=key["SecretAccessKey"]), HOST, PORT, USER, REGION
        )
        assert signer.arn.endswith(":user/developer")
        role = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/app", RoleSessionName="session")["Credentials"]
        session = {"key": role["AccessKeyId"], "secret": role["SecretAccessKey"]}
        assert rds_token.verify(token(**session, session=role["SessionToken"]), HOST, PORT, USER, REGION).arn.endswith(
            ":role/app"
        )
        with pytest.raises(rds_token.TokenError, match="session token"):
            rds_token.verify(token(**session, session="another"), HOST, PORT, USER, REGION)


def test_the_native_password_maths_agree_with_pymysql():
    salt, other_salt = os.urandom(20), os.urandom(20)
    password = b"password1"
    answer = _auth.scramble_native_password(password, salt)
    stored = mysql.native_hash(password)
    recovered = recover_password_sha1(answer, salt, stored)
    assert recovered == hashlib.sha1(password).digest()
    # Scrambled again for MariaDB's salt: what a client knowing the password would answer.
    assert scramble(recovered, other_salt) == _auth.scramble_native_password(password, other_salt)


@pytest.mark.parametrize(
    "answer",
    [
        lambda salt: _auth.scramble_native_password(b"password2", salt),
        lambda salt: _auth.scramble_native_password(b"password1", bytes(20)),  # for another salt
        lambda salt: b"",
        lambda salt: b"x" * 19,
    ],
)
def test_a_wrong_answer_recovers_nothing(answer):
    salt = os.urandom(20)
    assert recover_password_sha1(answer(salt), salt, mysql.native_hash("password1")) is None


def _policy(effect: str, resource: str) -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": "rds-db:connect", "Resource": resource}]}
    )


def test_rds_db_connect_is_checked_against_the_signers_policies():
    dbuser = f"arn:aws:rds-db:{REGION}:123456789012:dbuser"
    rds_token.authorize(rds_token.verify(token(), HOST, PORT, USER, REGION), REGION, "prx-abc", USER)  # test keys
    with mock_aws():
        iam, sts = boto3.client("iam", region_name=REGION), boto3.client("sts", region_name=REGION)
        iam.create_user(UserName="developer")
        key = iam.create_access_key(UserName="developer")["AccessKey"]
        signer = rds_token.verify(
            token(key=key["AccessKeyId"], secret=key["SecretAccessKey"]), HOST, PORT, USER, REGION
        )
        with pytest.raises(rds_token.TokenError, match="not allowed rds-db:connect"):
            rds_token.authorize(signer, REGION, "prx-abc", USER)
        iam.put_user_policy(
            UserName="developer", PolicyName="connect", PolicyDocument=_policy("Allow", f"{dbuser}:prx-abc/{USER}")
        )
        rds_token.authorize(signer, REGION, "prx-abc", USER)
        for resource_id, user in (("prx-other", USER), ("prx-abc", "admin")):
            with pytest.raises(rds_token.TokenError, match=f"dbuser:{resource_id}/{user}"):
                rds_token.authorize(signer, REGION, resource_id, user)
        iam.put_user_policy(UserName="developer", PolicyName="deny", PolicyDocument=_policy("Deny", "*"))
        with pytest.raises(rds_token.TokenError, match="not allowed"):
            rds_token.authorize(signer, REGION, "prx-abc", USER)

        iam.create_role(RoleName="app", AssumeRolePolicyDocument="{}")
        iam.put_role_policy(
            RoleName="app", PolicyName="connect", PolicyDocument=_policy("Allow", f"{dbuser}:prx-abc/*")
        )
        role = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/app", RoleSessionName="session")["Credentials"]
        signer = rds_token.verify(
            token(key=role["AccessKeyId"], secret=role["SecretAccessKey"], session=role["SessionToken"]),
            HOST, PORT, USER, REGION,
        )  # fmt: skip
        rds_token.authorize(signer, REGION, "prx-abc", USER)
        with pytest.raises(rds_token.TokenError):
            rds_token.authorize(signer, REGION, "prx-other", USER)
