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

from .. import strict
from . import Registry

_PATCHED = "_livestack_name_rules_patched"
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
    if getattr(S3Backend, _PATCHED, False):
        return
    create_bucket = S3Backend.create_bucket
    create_role = IAMBackend.create_role
    create_function = LambdaBackend.create_function

    def checked_create_bucket(self, bucket_name: str, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        if strict.current.enabled and not bucket_name_valid(bucket_name):
            raise InvalidBucketName()
        return create_bucket(self, bucket_name, *args, **kwargs)

    def checked_create_role(self, role_name: str, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        if strict.current.enabled:
            if len(role_name) > 64:
                raise ValidationError(
                    _validation(role_name, "roleName", "Member must have length less than or equal to 64")
                )
            if not _ROLE.match(role_name):
                raise ValidationError(
                    _validation(role_name, "roleName", r"Member must satisfy regular expression pattern: [\w+=,.@-]+")
                )
        return create_role(self, role_name, *args, **kwargs)

    def checked_create_function(self, spec: dict[str, Any]):  # type: ignore[no-untyped-def]
        name = spec.get("FunctionName") or ""
        if strict.current.enabled and not name.startswith("arn:") and len(name) > 64:
            raise InvalidParameterValueException(
                _validation(name, "functionName", "Member must have length less than or equal to 64")
            )
        return create_function(self, spec)

    S3Backend.create_bucket = checked_create_bucket
    IAMBackend.create_role = checked_create_role
    LambdaBackend.create_function = checked_create_function
    setattr(S3Backend, _PATCHED, True)
