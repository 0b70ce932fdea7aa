"""The preload callback: every plugin of the collection loads in the controller, and the callback is enabled."""

from __future__ import annotations

import configparser

from ansible.plugins.loader import filter_loader
from conftest import ROOT

from ansible_collections.livestack.aws.plugins.callback.preload import PLUGINS, preload


def test_every_filter_test_lookup_and_action_plugin_of_the_collection_loads():
    assert preload() == []
    assert filter_loader.get("livestack.aws.stage_posture") is not None


def test_it_looks_for_the_plugins_in_the_collection_it_belongs_to():
    assert {path.name for path in PLUGINS.iterdir() if path.is_dir()} >= {"action", "callback", "filter", "lookup"}
    assert len(list((PLUGINS / "filter").glob("[!_]*.yml"))) > 20


def test_the_collections_ansible_cfg_enables_it():
    config = configparser.ConfigParser()
    config.read(ROOT / "ansible.cfg")
    assert "livestack.aws.preload" in config["defaults"]["callbacks_enabled"].split(",")
