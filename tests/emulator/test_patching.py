"""extensions/patching.py: a patch is applied once, only to the moto it was written for; health lists them."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from importlib.metadata import version

import pytest

from livestack_emulator.extensions import patching
from livestack_emulator.extensions.patching import PatchOutdated, patch


class Backend:
    """Stands for a moto backend class."""

    def __init__(self) -> None:
        self._items: dict[str, int] = {}

    def get(self, name: str, default: int = 0) -> int:
        return self._items.get(name, default)


def register() -> None:
    """An extension's register(): its patch adds 1 to what Backend.get answers."""

    @patch(Backend, "get", signature="(self, name, default=0)", requires=("_items",), why="off by one", restores="+1")
    def _(original):
        def get(self, name, default=0):
            return original(self, name, default) + 1

        return get


def test_a_patch_is_applied_once_however_often_its_extension_registers():
    register()
    register()
    assert Backend().get("x") == 1  # not 2: the second register() left the patch alone
    recorded = [entry for entry in patching.active() if entry["name"].endswith("test_patching.Backend.get")]
    assert recorded == [
        {
            "name": f"{__name__}.Backend.get",
            "extension": __name__,
            "why": "off by one",
            "restores": "+1",
            "signature": "(self, name, default=0)",
        }
    ]


def test_another_signature_stops_with_moto_version_name_expected_and_found():
    class Changed:
        def get(self, name, default=0, *, strict=False):  # an upgrade added a parameter
            return default

    original = Changed.get
    with pytest.raises(PatchOutdated) as raised:
        patch(Changed, "get", signature="(self, name, default=0)", why="w", restores="r")(lambda inner: None)
    message = str(raised.value)
    assert f"moto {version('moto')} changed" in message
    assert "Changed.get" in message
    assert (
        "written for the signature (self, name, default=0), found (self, name, default=0, *, strict=False)" in message
    )
    assert Changed.get is original  # nothing changed


def test_a_private_attribute_gone_stops_naming_it():
    class Renamed:
        def __init__(self) -> None:
            self._entries: dict[str, int] = {}  # was _items

        def get(self, name, default=0):
            return default

    with pytest.raises(PatchOutdated, match=r"Renamed\._items no longer exists"):
        patch(Renamed, "get", signature="(self, name, default=0)", requires=("_items",), why="w", restores="r")(
            lambda inner: None
        )


def test_a_vanished_attribute_is_reported_as_absent():
    class Gone:
        pass

    with pytest.raises(PatchOutdated, match=r"written for the signature \(self\), found absent"):
        patch(Gone, "describe", signature="(self)", why="w", restores="r")(lambda inner: None)


def test_the_emulator_refuses_to_start_on_a_moto_whose_signature_changed(tmp_path):
    # moto "upgraded": ImportCertificate's backend method takes another parameter.
    script = (
        "import sys, runpy\n"
        "from moto.acm.models import AWSCertificateManagerBackend as backend\n"
        "backend.import_certificate = lambda self, certificate, private_key, chain, arn, tags, region=None: arn\n"
        "sys.argv = ['livestack_emulator', '--port', '0']\n"
        "runpy.run_module('livestack_emulator', run_name='__main__')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "livestack emulator did not start" in done.stderr
    assert f"moto {version('moto')} changed moto.acm.models.AWSCertificateManagerBackend.import_certificate" in (
        done.stderr
    )
    expected, found = "(self, certificate, private_key, chain, arn, tags)", "(self, certificate, private_key, chain, "
    assert f"{expected}, found {found}arn, tags, region=None)" in done.stderr


def test_health_lists_the_new_apis_and_the_active_patches(emulator):
    with urllib.request.urlopen(f"{emulator.url}/_livestack/health", timeout=30) as response:
        health = json.load(response)
    assert health["moto"] == version("moto")
    assert "ec2_client_vpn" in health["extensions"]["apis"] and "acm_import" in health["extensions"]["patches"]
    assert "ec2 CreateClientVpnEndpoint" in health["apis"]["ec2_client_vpn"]
    assert "rds ModifyDBProxy" in health["apis"]["rds_proxy"]
    patches = {entry["name"]: entry for entry in health["patches"]}
    entry = patches["moto.acm.models.AWSCertificateManagerBackend.import_certificate"]
    assert entry["extension"] == "livestack_emulator.extensions.patches.acm_import"
    assert entry["signature"] == "(self, certificate, private_key, chain, arn, tags)"
    assert all(entry["why"] and entry["restores"] for entry in health["patches"])
