"""managed_files deletes only the files its manifest lists, with the content they were written with."""

from __future__ import annotations

import json
import os

from support.modules import run

from ansible_collections.livestack.aws.plugins.modules.managed_files import digest, plan


def test_plan_records_what_was_written_and_deletes_only_listed_unchanged_files():
    recorded = {"/d/alice.ovpn": "a1", "/d/bob.ovpn": "b1", "/d/carol.ovpn": "c1", "/d/gone.ovpn": "g1"}
    current = {"/d/alice.ovpn": "a2", "/d/bob.ovpn": "b1", "/d/carol.ovpn": "edited", "/d/gone.ovpn": None}
    record, deleted, kept = plan(recorded, current, ["/d/alice.ovpn"])
    assert record == {"/d/alice.ovpn": "a2"}
    assert deleted == ["/d/bob.ovpn"]
    assert kept == ["/d/carol.ovpn"]


def test_plan_for_absent_deletes_every_listed_file():
    record, deleted, kept = plan({"/d/a": "1", "/d/b": "2"}, {"/d/a": "1", "/d/b": "2"}, [])
    assert (record, deleted, kept) == ({}, ["/d/a", "/d/b"], [])


def managed(check: bool = False, **params) -> dict:
    return run("livestack.aws.managed_files", params, check=check)


def test_converge_and_teardown_leave_the_users_files(tmp_path):
    directory = tmp_path / "stage"
    directory.mkdir()
    manifest = str(directory / ".livestack-manifest.json")
    mine, alice, bob = directory / "mine.ovpn", directory / "alice.ovpn", directory / "bob.ovpn"
    for path in (mine, alice, bob):
        path.write_text(path.name)

    first = managed(manifest=manifest, files=[str(alice), str(bob)], created_directory=True)
    assert first["changed"] and first["deleted"] == [] and first["files"] == [str(alice), str(bob)]
    assert oct(os.stat(manifest).st_mode & 0o777) == "0o600"

    again = managed(manifest=manifest, files=[str(alice), str(bob)])
    assert not again["changed"]

    bob_left = managed(manifest=manifest, files=[str(alice)])
    assert bob_left["deleted"] == [str(bob)] and not bob.exists() and mine.exists()

    alice.write_text("edited by the user")
    down = managed(manifest=manifest, state="absent")
    assert down["deleted"] == [] and down["kept"] == [str(alice)]
    assert sorted(p.name for p in directory.iterdir()) == ["alice.ovpn", "mine.ovpn"]


def test_teardown_removes_a_directory_it_created_once_empty(tmp_path):
    directory = tmp_path / "build"
    directory.mkdir()
    zip_file = directory / "relay.zip"
    zip_file.write_bytes(b"zip")
    manifest = str(directory / ".livestack-manifest.json")
    managed(manifest=manifest, files=[str(zip_file)], created_directory=True)
    checked = managed(manifest=manifest, state="absent", check=True)
    assert checked["changed"] and checked["deleted"] == [str(zip_file)] and zip_file.exists()
    down = managed(manifest=manifest, state="absent")
    assert down["deleted"] == [str(zip_file), str(directory)] and not directory.exists()


def test_without_prune_the_files_no_longer_written_stay_listed(tmp_path):
    stub, app = tmp_path / "stub.zip", tmp_path / "app.zip"
    stub.write_bytes(b"stub")
    app.write_bytes(b"app")
    manifest = str(tmp_path / ".livestack-manifest.json")
    managed(manifest=manifest, files=[str(stub)], created_directory=True)
    switched = managed(manifest=manifest, files=[str(app)], prune=False)
    assert switched["deleted"] == [] and switched["files"] == sorted([str(app), str(stub)]) and stub.exists()
    down = managed(manifest=manifest, state="absent")
    assert down["deleted"] == sorted([str(app), str(stub)]) + [str(tmp_path)] and not tmp_path.exists()


def test_files_outside_the_manifests_directory_are_refused_and_never_deleted(tmp_path):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("mine")
    directory = tmp_path / "stage"
    directory.mkdir()
    manifest = directory / ".livestack-manifest.json"
    refused = managed(manifest=str(manifest), files=[str(elsewhere)])
    assert refused["failed"] and "in the manifest's directory" in refused["msg"]
    digest_of_elsewhere = digest(str(elsewhere))
    manifest.write_text(json.dumps({"files": {str(elsewhere): digest_of_elsewhere}, "created_directory": True}))
    down = managed(manifest=str(manifest), state="absent")
    assert down["deleted"] == [str(directory)] and elsewhere.read_text() == "mine"


def test_teardown_without_a_manifest_deletes_nothing(tmp_path):
    (tmp_path / "app.py").write_text("mine")
    down = managed(manifest=str(tmp_path / ".livestack-manifest.json"), state="absent")
    assert not down["changed"] and down["deleted"] == []
    assert (tmp_path / "app.py").read_text() == "mine"


def test_digest_of_a_missing_file_is_none(tmp_path):
    assert digest(str(tmp_path / "nothing")) is None
