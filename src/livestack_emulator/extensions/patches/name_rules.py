"""Names AWS refuses and moto accepts: S3 bucket naming rules, IAM role and Lambda function name lengths.

In strict mode:

- S3 CreateBucket checks the naming rules of general purpose buckets (S3 User Guide, "General purpose bucket
  naming rules"): 3-63 characters; lowercase letters, digits, dots and hyphens; a letter or digit first and
  last; no two adjacent dots; not an IP address; not the prefixes ``xn--``, ``sthree-``, ``amzn-s3-demo-``,
  nor the suffixes ``-s3alias``, ``--ol-s3``, ``.mrap``, ``--x-s3``, ``--table-s3``. AWS answers
  ``InvalidBucketName`` "The specified bucket is not valid." (moto checks only the length). Bucket names
  are global across accounts: moto already keeps one namespace (``s3_backends.bucket_accounts``) and answers
  ``BucketAlreadyExists`` for another account's name and ``BucketAlreadyOwnedByYou`` for one's own outside
  us-east-1, as S3's CreateBucket errors say; ``tests/emulator/test_name_rules.py`` holds it to that.
- IAM CreateRole refuses a name over 64 characters or outside ``[\\w+=,.@-]+`` (botocore ``iam``
  ``roleNameType``) with ``ValidationError`` "1 validation error detected: Value '...' at 'roleName' failed to
  satisfy constraint: ...".
- Lambda CreateFunction refuses a function name (not an ARN) over 64 characters ("If you specify only the
  function name, it is limited to 64 characters in length", CreateFunction's FunctionName) with
  ``InvalidParameterValueException`` "1 validation error detected: Value '...' at 'functionName' failed to
  satisfy constraint: Member must have length less than or equal to 64" (the text AWS answers, as quoted in
  aws-amplify/amplify-cli#566 and awslabs/aws-api-gateway-developer-portal#425).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend
from moto.iam.exceptions import ValidationError
from moto.iam.models import IAMBackend
from moto.s3.exceptions import InvalidBucketName
from moto.s3.models import S3Backend

from ... import strict
from .. import Registry
from ..patching import patch

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_ROLE = re.compile(r"^[\w+=,.@-]+$")


def bucket_name_valid(name: str) -> bool:
    if not _BUCKET.match(name) or ".." in name:
        return False
    if name.startswith(_BUCKET_PREFIXES) or name.endswith(_BUCKET_SUFFIXES):
        return False
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return True
    return False


def _validation(value: str, member: str, constraint: str) -> str:
    return f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"


def register(registry: Registry) -> None:
    @patch(
        S3Backend,
        "create_bucket",
        signature="(self, bucket_name, region_name, bucket_namespace=None)",
        why="moto checks only the length of a bucket name",
        restores="CreateBucket refuses a name breaking S3's naming rules with InvalidBucketName (strict mode)",
    )
    def _(create_bucket):  # type: ignore[no-untyped-def]
        def checked_create_bucket(self, bucket_name: str, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
            if strict.current.enabled and not bucket_name_valid(bucket_name):
                raise InvalidBucketName()
            return create_bucket(self, bucket_name, *args, **kwargs)

        return checked_create_bucket

    @patch(
        IAMBackend,
        "create_role",
        signature=(
            "(self, role_name, assume_role_policy_document, path, permissions_boundary, description, tags, "
            "max_session_duration, linked_service=None)"
        ),
        why="moto accepts a role name of any length and characters",
        restores="CreateRole refuses a name over 64 characters or outside [\\w+=,.@-]+ with ValidationError "
        "(botocore iam roleNameType; strict mode)",
    )
    def _(create_role):  # type: ignore[no-untyped-def]
        def checked_create_role(self, role_name: str, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
            if strict.current.enabled:
                if len(role_name) > 64:
                    raise ValidationError(
                        _validation(role_name, "roleName", "Member must have length less than or equal to 64")
                    )
                if not _ROLE.match(role_name):
                    raise ValidationError(
                        _validation(
                            role_name, "roleName", r"Member must satisfy regular expression pattern: [\w+=,.@-]+"
                        )
                    )
            return create_role(self, role_name, *args, **kwargs)

        return checked_create_role

    @patch(
        LambdaBackend,
        "create_function",
        signature="(self, spec)",
        why="moto accepts a function name of any length",
        restores="CreateFunction refuses a function name over 64 characters with InvalidParameterValueException "
        "(Lambda CreateFunction FunctionName; strict mode)",
    )
    def _(create_function):  # type: ignore[no-untyped-def]
        def checked_create_function(self, spec: dict[str, Any]):  # type: ignore[no-untyped-def]
            name = spec.get("FunctionName") or ""
            if strict.current.enabled and not name.startswith("arn:") and len(name) > 64:
                raise InvalidParameterValueException(
                    _validation(name, "functionName", "Member must have length less than or equal to 64")
                )
            return create_function(self, spec)

        return checked_create_function
