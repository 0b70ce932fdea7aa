"""IAM propagation: when each role was created and when its policies last changed, for the strict window.

IAM is eventually consistent: a role just created, or whose policies just changed, is not yet seen by the
services that assume it (IAM User Guide, "Troubleshooting IAM", "Changes that I make are not always
immediately visible"). This module records both times (moto's IAMBackend, patched once) so that every
service that assumes a role answers as AWS does within the ``iam_propagation`` strict window: Lambda
(``lambda_strict.py``: CreateFunction refused) and RDS Proxy (``rds_proxy.py``: targets ``UNAVAILABLE``,
``AUTH_FAILURE``).
"""

from __future__ import annotations

import inspect
import time
from typing import Any

from moto.iam.models import IAMBackend

from ... import strict
from .. import Registry
from ..patching import patch

# (account, role name) -> monotonic time of the role's creation / of its last policy change.
_ROLE_CREATED: dict[tuple[str, str], float] = {}
_ROLE_POLICIES: dict[tuple[str, str], float] = {}


_CREATE = (
    "(self, role_name, assume_role_policy_document, path, permissions_boundary, description, tags, "
    "max_session_duration, linked_service=None)"
)
# The IAMBackend methods noted: name, the signature the patch was written for, the table of times.
_NOTED = (
    ("create_role", _CREATE, _ROLE_CREATED),
    ("put_role_policy", "(self, role_name, policy_name, policy_json)", _ROLE_POLICIES),
    ("delete_role_policy", "(self, role_name, policy_name)", _ROLE_POLICIES),
    ("update_assume_role_policy", "(self, role_name, policy_document)", _ROLE_POLICIES),
    ("attach_role_policy", "(self, policy_arn, role_name)", _ROLE_POLICIES),
    ("detach_role_policy", "(self, policy_arn, role_name)", _ROLE_POLICIES),
)


def role_name(role_arn: str) -> str:
    return role_arn.rsplit("/", 1)[-1]


def _recent(table: dict[tuple[str, str], float], account_id: str, role_arn: str) -> bool:
    since = table.get((account_id, role_name(role_arn)))
    return since is not None and time.monotonic() - since < strict.current.seconds("iam_propagation")


def created_recently(account_id: str, role_arn: str) -> bool:
    """The role was created less than the window ago (always False in lenient mode)."""
    return _recent(_ROLE_CREATED, account_id, role_arn)


def policies_changed_recently(account_id: str, role_arn: str) -> bool:
    """The role's policies (inline, attached, trust) changed less than the window ago."""
    return _recent(_ROLE_POLICIES, account_id, role_arn)


def register(registry: Registry) -> None:
    registry.on_reset(lambda: (_ROLE_CREATED.clear(), _ROLE_POLICIES.clear()))
    for name, signature, table in _NOTED:

        @patch(
            IAMBackend,
            name,
            signature=signature,
            requires=("account_id",),
            why="moto's roles and policies take effect at once",
            restores="a role or policy change is not seen by Lambda and RDS Proxy for the iam_propagation window "
            "(IAM User Guide, 'Changes that I make are not always immediately visible'; strict mode)",
        )
        def _(original: Any, table: dict[tuple[str, str], float] = table) -> Any:
            parameters = inspect.signature(original)

            def noted(self: IAMBackend, *args: Any, **kwargs: Any) -> Any:
                result = original(self, *args, **kwargs)
                role = parameters.bind(self, *args, **kwargs).arguments["role_name"]
                table[(self.account_id, role)] = time.monotonic()
                return result

            return noted
