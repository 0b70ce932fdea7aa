"""Secrets Manager GetSecretValue on a secret scheduled for deletion: AWS's error message.

AWS answers ``InvalidRequestException`` "You can't perform this operation on the secret because it
was marked for deletion."; moto 5.2.5 answers with the same code but another message ("...currently
marked deleted"). amazon.aws's ``secretsmanager_secret`` lookup recognises a deleted secret by
AWS's words ("marked for deletion"), so against moto its ``on_deleted`` option never applied and the
lookup failed. This extension gives the error in AWS's words; every other case goes to moto.
"""

from __future__ import annotations

import json

from moto.secretsmanager.models import SecretsManagerBackend, secretsmanager_backends
from werkzeug.wrappers import Response

from ...protocol import json_error
from .. import Call, Registry
from ..patching import intercept

MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion."


def get_secret_value(call: Call) -> Response | None:
    try:
        secret_id = json.loads(call.body or b"{}").get("SecretId", "")
    except ValueError:
        return None
    backend = secretsmanager_backends[call.account_id][call.region]
    if not secret_id or not backend._is_valid_identifier(secret_id):
        return None
    if backend.secrets[secret_id].is_deleted():
        return json_error("InvalidRequestException", MARKED_FOR_DELETION)
    return None


def register(registry: Registry) -> None:
    intercept(
        "secretsmanager GetSecretValue",
        __name__,
        why="moto answers a secret marked for deletion with another message ('...currently marked deleted')",
        restores=f"InvalidRequestException '{MARKED_FOR_DELETION}'",
        requires=[(SecretsManagerBackend, ("_is_valid_identifier", "secrets"))],
    )
    registry.action("secretsmanager", "GetSecretValue")(get_secret_value)
