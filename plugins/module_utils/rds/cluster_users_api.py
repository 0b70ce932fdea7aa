# Copyright: livestack.aws contributors
# Apache License 2.0 (see LICENSE)
"""The RDS Data API calls of rds_cluster_users: one wrapper, retried and turned into AnsibleAWSError."""

from __future__ import annotations

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from .cluster_users import LIST_DATABASES, LIST_USERS, application_user, current_state, parse_grants, show_grants

# A paused Serverless v2 cluster (scale to zero) answers DatabaseResumingException while it resumes.
RETRIED_CODES = ["DatabaseResumingException", "DatabaseUnavailableException"]


class AnsibleRDSDataError(AnsibleAWSError):
    pass


class RDSDataErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRDSDataError


@RDSDataErrorHandler.common_error_handler("run a statement through the RDS Data API")
@AWSRetry.jittered_backoff(retries=12, catch_extra_error_codes=RETRIED_CODES)
def execute_statement(client: Any, cluster_arn: str, secret_arn: str, sql: str) -> list[list[Any]]:
    """The statement's rows, each a list of plain values (None for NULL)."""
    response = client.execute_statement(resourceArn=cluster_arn, secretArn=secret_arn, sql=sql)
    return [
        [None if field.get("isNull") else next(iter(field.values()), None) for field in record]
        for record in response.get("records", [])
    ]


def read_state(client: Any, cluster_arn: str, secret_arn: str, master_username: str) -> dict[str, Any]:
    """The cluster's databases and ``'%'`` accounts, with the grants of the application users (reads only)."""
    user_rows = [tuple(row) for row in execute_statement(client, cluster_arn, secret_arn, LIST_USERS)]
    databases = [row[0] for row in execute_statement(client, cluster_arn, secret_arn, LIST_DATABASES)]
    grants = {
        user: parse_grants(row[0] for row in execute_statement(client, cluster_arn, secret_arn, show_grants(user)))
        for user, host, _plugin, _ssl in user_rows
        if application_user(user, host, master_username)
    }
    return current_state(user_rows, databases, grants)
