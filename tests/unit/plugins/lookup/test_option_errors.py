"""Every role option is typed, and a bool option is used, past its one conversion, only as a real bool."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from ansible_collections.livestack.aws.plugins.lookup.option_errors import ROLES, LookupModule, role_options

# The roles whose main entry point takes the stage's options (the stage role has only tasks_from entry points).
ROLE_NAMES = sorted(
    path.parent.parent.name
    for path in ROLES.glob("*/meta/argument_specs.yml")
    if "main" in yaml.safe_load(path.read_text())["argument_specs"]
)


def expressions(node: Any) -> list[str]:
    """The Jinja a task file evaluates: conditionals (bare expressions) and every templated string."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("when", "that", "until", "changed_when", "failed_when"):
                found += [str(item) for item in (value if isinstance(value, list) else [value])]
            else:
                found += expressions(value)
    elif isinstance(node, list):
        for item in node:
            found += expressions(item)
    elif isinstance(node, str):
        found += re.findall(r"\{\{.*?\}\}|\{%.*?%\}", node, re.DOTALL)
    return found


def test_the_roles_are_found():
    assert set(ROLE_NAMES) >= {"network", "aurora", "client_vpn", "dev_relay", "rds_proxy"}


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_option_has_a_type(role):
    options = role_options(role)
    assert {name: attrs.get("type") for name, attrs in options.items() if not attrs.get("type")} == {}
    lists = {name for name, attrs in options.items() if attrs["type"] == "list"}
    assert {name for name in lists if not options[name].get("elements")} == set()


# How each kind of option is converted, once, into its typed copy `__<option>` of the role's vars/main.yml.
CONVERSIONS = {"bool": "bool", "path": "expanduser"}


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_bool_and_path_options_are_used_only_through_their_typed_copy(role):
    """-e name=false leaves the variable the string 'false', and a path may start with ~: a role converts each
    such option once (vars/main.yml, `__name: "{{ name | bool }}"` or `| expanduser`) and uses only the copy,
    or `when: not name` would be a string's truth and `path is file` would look for a directory named ~."""
    options = role_options(role)
    converted = {name: CONVERSIONS[attrs["type"]] for name, attrs in options.items() if attrs["type"] in CONVERSIONS}
    role_dir = ROLES / role
    used = []
    for path in sorted((role_dir / "tasks").glob("*.yml")) + [role_dir / "vars" / "main.yml"]:
        document = yaml.safe_load(path.read_text()) or {}
        if isinstance(document, dict):  # vars: the typed copies themselves are the one conversion
            document = {key: value for key, value in document.items() if key.lstrip("_") not in converted}
        for expression in expressions(document):
            used += [
                f"{path.name}: {name} in {expression!r}"
                for name in converted
                if re.search(rf"(?<!')\b{name}\b(?!')", expression)
            ]
    assert used == []
    typed = yaml.safe_load((role_dir / "vars" / "main.yml").read_text()) if converted else {}
    assert {name: typed.get(f"__{name}") for name in converted} == {
        name: f"{{{{ {name} | {conversion} }}}}" for name, conversion in converted.items()
    }


def test_the_lookup_checks_only_given_options_of_each_role():
    lookup = LookupModule()
    lookup._templar = SimpleNamespace(template=lambda value: value)
    variables = {"client_vpn_users": "alice", "client_vpn_port": "443", "network_tags": "a=b", "other": "x"}
    assert lookup.run(["client_vpn", "network"], variables) == [
        "client_vpn_users is 'alice', not a list: give a list, for example as JSON: "
        '-e \'{"client_vpn_users": ["alice"]}\'',
        "network_tags is 'a=b', not a dict: give a mapping, for example as JSON: "
        '-e \'{"network_tags": {"key": "value"}}\'',
    ]
    assert lookup.run(["dev_relay"], variables) == []


def test_an_unknown_role_is_an_error():
    with pytest.raises(Exception, match="'nosuchrole' is not a role of livestack.aws"):
        LookupModule().run(["nosuchrole"], {})
