"""DynamoDB DescribeTable/CreateTable: the ``TableId`` that moto leaves out.

community.aws.dynamodb_table reads ``TableId`` from every table description (the DynamoDB API
always returns it), and failed with a KeyError against moto.
"""

from __future__ import annotations

import uuid
from typing import Any

from moto.dynamodb.models.table import Table

from .. import Registry
from ..patching import patch


def register(registry: Registry) -> None:
    @patch(
        Table,
        "describe",
        signature="(self, base_key='TableDescription')",
        why="moto leaves TableId out of the table description",
        restores="DescribeTable and CreateTable return the table's TableId (botocore dynamodb TableDescription)",
    )
    def _(original):  # type: ignore[no-untyped-def]
        def describe(table: Table, base_key: str = "TableDescription") -> dict[str, Any]:
            result = original(table, base_key)
            if not hasattr(table, "livestack_table_id"):
                table.livestack_table_id = str(uuid.uuid4())
            result.get(base_key, {}).setdefault("TableId", table.livestack_table_id)
            return result

        return describe
