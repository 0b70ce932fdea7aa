"""lookup('livestack.aws.connection'): the settings set, templated, an omitted one left out."""

from __future__ import annotations

from types import SimpleNamespace

from ansible_collections.livestack.aws.plugins.lookup.connection import LookupModule

OMIT = "__omit_place_holder__x"


def lookup(variables: dict, **kwargs) -> dict:
    plugin = LookupModule()
    # A templar that resolves {{ x }} to the variable x, and the omit placeholder as ansible-core < 2.19 does.
    plugin._templar = SimpleNamespace(
        template=lambda value: {k: variables[v[3:-3]] if str(v).startswith("{{ ") else v for k, v in value.items()}
    )
    (result,) = plugin.run([], variables, **kwargs)
    return result


def test_templated_and_omitted_variables():
    variables = {
        "omit": OMIT,
        "port": "5000",
        "livestack_endpoint_url": "{{ port }}",
        "livestack_profile": OMIT,
        "livestack_aws_config": {"retries": {"mode": "standard"}},
    }
    assert lookup(variables) == {"endpoint_url": "5000", "aws_config": {"retries": {"mode": "standard"}}}
    assert lookup(variables, for_lookups=True) == {"endpoint_url": "5000"}
