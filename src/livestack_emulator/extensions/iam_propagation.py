"""IAM propagation: when each role was created and when its policies last changed, for the strict window.

IAM is eventually consistent: a role just created, or whose policies just changed, is not yet seen by the
services that assume it (IAM User Guide, "Troubleshooting IAM", "Changes that I make are not always
immediately visible"). This module records both times (moto's IAMBackend, patched once) so that every
service that assumes a role answers as AWS does within the ``iam_propagation`` strict window: Lambda
(``lambda_strict.py``: CreateFunction refused) and RDS Proxy (``rds_proxy.py``: targets ``UNAVAILABLE``,
``AUTH_FAILURE``).
"""

from __future__ import annotations

import time
from typing import Any

from moto.iam.models import IAMBackend

from .. import strict
from . import Registry

_PATCHED = "_livestack_iam_propagation_patched"
# (account, role name) -> monotonic time of the role's creation / of its last policy change.
_ROLE_CREATED: dict[tuple[str, str], float] = {}
_ROLE_POLICIES: dict[tuple[str, str], float] = {}


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
    if getattr(IAMBackend, _PATCHED, False):
        return

    def noting(table: dict[tuple[str, str], float], original: Any, name_of: Any) -> Any:
        def patched(self: IAMBackend, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            table[(self.account_id, name_of(*args, **kwargs))] = time.monotonic()
            return result

        return patched

    IAMBackend.create_role = noting(_ROLE_CREATED, IAMBackend.create_role, lambda role_name, *_, **__: role_name)
    for name in ("put_role_policy", "delete_role_policy", "update_assume_role_policy"):
        setattr(
            IAMBackend, name, noting(_ROLE_POLICIES, getattr(IAMBackend, name), lambda role_name, *_, **__: role_name)
        )
    for name in ("attach_role_policy", "detach_role_policy"):
        setattr(
            IAMBackend,
            name,
            noting(_ROLE_POLICIES, getattr(IAMBackend, name), lambda policy_arn, role_name, *_, **__: role_name),
        )
    setattr(IAMBackend, _PATCHED, True)
