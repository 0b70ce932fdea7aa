"""Strict mode: S3's bucket naming rules and global namespace, IAM role and Lambda function name lengths.

Sources: S3 User Guide "General purpose bucket naming rules" and CreateBucket's errors (BucketAlreadyExists,
BucketAlreadyOwnedByYou); botocore iam roleNameType; Lambda CreateFunction FunctionName (64 characters for a
name), with the text AWS answers (aws-amplify/amplify-cli#566). Behaviours ``s3_bucket_names`` and
``iam_lambda_name_lengths`` of strict.py.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from botocore.exceptions import ClientError
from conftest import create_function, start_emulator

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def _error(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["Error"].get("Message", "")


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Alice-bucket",
        "a_b-bucket",
        "-leading",
        "trailing-",
        "two..dots",
        "192.168.5.4",
        "xn--bucket",
        "sthree-bucket",
        "bucket-s3alias",
        "bucket--ol-s3",
    ],
)
def test_a_bucket_name_breaking_s3_rules_is_refused(emulator, name):
    s3 = emulator.client("s3")
    assert _error(lambda: s3.create_bucket(Bucket=name)) == ("InvalidBucketName", "The specified bucket is not valid.")
    assert name not in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]


def test_valid_bucket_names_are_made(emulator):
    s3 = emulator.client("s3")
    for name in ("abc", "a" * 63, "names-test.with.dots-1", "names-test-123456789012"):
        s3.create_bucket(Bucket=name)
        s3.delete_bucket(Bucket=name)


def test_bucket_names_are_global_across_accounts(emulator):
    s3 = emulator.client("s3")
    name = "names-test-global-bucket"
    s3.create_bucket(Bucket=name)
    try:
        other = emulator.account_session("210987654321")
        sts = other.client("sts", endpoint_url=emulator.url, region_name="us-east-1")
        assert sts.get_caller_identity()["Account"] == "210987654321"
        for region in ("us-east-1", "eu-west-1"):
            theirs = other.client("s3", endpoint_url=emulator.url, region_name=region)
            config = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            code, _ = _error(lambda theirs=theirs, config=config: theirs.create_bucket(Bucket=name, **config))
            assert code == "BucketAlreadyExists"
        # The owner: again in us-east-1 succeeds (S3's legacy), elsewhere BucketAlreadyOwnedByYou.
        s3.create_bucket(Bucket=name)
        mine = emulator.client("s3", region="eu-west-1")
        code, _ = _error(
            lambda: mine.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        )
        assert code == "BucketAlreadyOwnedByYou"
    finally:
        s3.delete_bucket(Bucket=name)


def test_iam_role_names_over_64_characters_are_refused(emulator):
    iam = emulator.client("iam")
    name = "names-test-" + "r" * 54  # 65
    code, message = _error(lambda: iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST))
    assert code == "ValidationError"
    assert message == (
        f"1 validation error detected: Value '{name}' at 'roleName' failed to satisfy constraint:"
        " Member must have length less than or equal to 64"
    )
    code, _ = _error(lambda: iam.create_role(RoleName="names test", AssumeRolePolicyDocument=TRUST))
    assert code == "ValidationError"
    iam.create_role(RoleName=name[:64], AssumeRolePolicyDocument=TRUST)
    iam.delete_role(RoleName=name[:64])


def test_lambda_function_names_over_64_characters_are_refused(emulator):
    iam, lam = emulator.client("iam"), emulator.client("lambda")
    role = iam.create_role(RoleName="names-test-function", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    name = "names-test-" + "f" * 54  # 65
    create = dict(Runtime="python3.12", Role=role, Handler="index.handler", Code={"ZipFile": buffer.getvalue()})
    try:
        code, message = _error(lambda: lam.create_function(FunctionName=name, **create))
        assert code == "InvalidParameterValueException"
        assert message == (
            f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint:"
            " Member must have length less than or equal to 64"
        )
        create_function(lam, FunctionName=name[:64], **create)  # once IAM has propagated the new role
        lam.delete_function(FunctionName=name[:64])
    finally:
        iam.delete_role(RoleName="names-test-function")


def test_lenient_mode_keeps_moto_s_leniency(tmp_path):
    process, lenient = start_emulator(tmp_path / "emulator.log", "--lenient")
    try:
        lenient.client("s3").create_bucket(Bucket="xn--lenient")
        lenient.client("iam").create_role(RoleName="r" * 65, AssumeRolePolicyDocument=TRUST)
    finally:
        process.terminate()
        process.wait(timeout=30)
