"""The teardown summary names each deletion, and nothing that was skipped or unchanged."""

from __future__ import annotations

from ansible_collections.livestack.aws.plugins.filter.deleted_items import FilterModule, deleted_items


def test_each_kind_of_result():
    results = {
        "registry table livestack-dev-relay": {"changed": True},
        "payload bucket livestack-dev-relay-payloads": {"changed": False},
        "cluster livestack-dev-aurora": {"changed": False, "skipped": True},
        "function": {
            "changed": True,
            "results": [
                {"changed": True, "item": "livestack-dev-app"},
                {"changed": False, "item": "livestack-dev-relay-connect"},
                {"changed": True, "item": {"id": "x"}, "_ansible_item_label": "livestack-dev-relay-message"},
            ],
        },
        "file": {"changed": True, "deleted": ["/tmp/build/relay.zip", "/tmp/build"]},
        "never ran": None,
    }
    assert deleted_items(results) == [
        "registry table livestack-dev-relay",
        "function livestack-dev-app",
        "function livestack-dev-relay-message",
        "file /tmp/build/relay.zip",
        "file /tmp/build",
    ]
    assert FilterModule().filters()["deleted_items"] is deleted_items


def test_nothing_deleted():
    assert deleted_items({"cluster x": {"changed": False}, "function": {"results": [], "changed": False}}) == []
