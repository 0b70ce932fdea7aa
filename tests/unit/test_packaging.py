"""The Galaxy artifact and the execution environment declare everything the collection uses, once.

galaxy.yml's dependencies cover every collection the roles, playbooks and plugins call; the execution
environment repeats them and the Python requirements without drift; the built artifact ships its LICENSE
and every document it cites; `ansible-builder create` makes a build context that installs all of it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
EE_DIR = ROOT / "execution-environment"
BIN = Path(sys.executable).parent
TARBALL = f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"

# A fully qualified name of another collection's plugin (module, filter, lookup, doc fragment) or a
# module_utils import of one.
_FQCN = re.compile(r"\b([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.[a-z_][a-z0-9_]*")
_IMPORT = re.compile(r"ansible_collections\.([a-z0-9_]+)\.([a-z0-9_]+)")
# Namespaces that are collections (a dotted Python attribute such as `os.path.join` is not one).
_NAMESPACES = ("amazon", "community", "ansible")


def used_collections() -> set[str]:
    found = set()
    for directory in ("roles", "playbooks", "plugins", "meta"):
        for path in (ROOT / directory).rglob("*"):
            if path.suffix not in (".yml", ".yaml", ".py", ".j2") or not path.is_file():
                continue
            text = path.read_text()
            for namespace, name in _FQCN.findall(text) + _IMPORT.findall(text):
                if namespace in _NAMESPACES:
                    found.add(f"{namespace}.{name}")
    return found - {"ansible.builtin", "ansible.module_utils", "ansible.plugins", "ansible.errors"}


def requirement_lines(path: Path) -> dict[str, str]:
    """Each requirement's name and specifier, comments and spaces left out."""
    lines = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].replace(" ", "")
        if line:
            name = re.match(r"[A-Za-z0-9_.\-\[\]]+", line).group(0)
            lines[re.sub(r"\[.*\]", "", name).lower()] = line[len(name) :]
    return lines


def test_galaxy_dependencies_cover_every_collection_used():
    used = used_collections()
    assert {"amazon.aws", "community.aws", "community.crypto"} <= used  # the scan finds what is there
    missing = used - set(GALAXY["dependencies"])
    assert not missing, f"galaxy.yml dependencies lack {sorted(missing)}"
    unused = set(GALAXY["dependencies"]) - used
    assert not unused, f"galaxy.yml depends on {sorted(unused)}, which nothing uses"


@pytest.mark.parametrize(
    ("collection", "versions"),
    [
        # What the ansible packages ship: 13.8 (make test-prev) and 14.5 (make test), their ansible-<version>.deps.
        ("amazon.aws", ["10.3.2", "11.4.0"]),
        ("community.aws", ["10.1.1", "11.2.0"]),
        ("community.crypto", ["3.2.2", "3.5.0"]),
        ("ansible.utils", ["6.0.3", "6.1.1"]),
    ],
)
def test_galaxy_ranges_admit_the_current_and_previous_ansible(collection, versions):
    from ansible.utils.version import SemanticVersion

    spec = GALAXY["dependencies"][collection]
    for version in versions:
        for clause in spec.split(","):
            operator, bound = re.match(r"(>=|<=|==|!=|<|>)(.+)", clause.strip()).groups()
            ok = {
                ">=": SemanticVersion(version) >= SemanticVersion(bound),
                "<": SemanticVersion(version) < SemanticVersion(bound),
            }[operator]
            assert ok, f"{collection} {version} (an ansible package's) is outside galaxy.yml's {spec}"


def test_execution_environment_collections_are_galaxy_dependencies():
    entries = yaml.safe_load((EE_DIR / "requirements.yml").read_text())["collections"]
    ranges = {entry["name"]: entry["version"] for entry in entries if entry.get("type") != "file"}
    assert ranges == GALAXY["dependencies"]
    files = [entry["name"] for entry in entries if entry.get("type") == "file"]
    assert files == [f"/build/collections/{TARBALL}"]
    definition = yaml.safe_load((EE_DIR / "execution-environment.yml").read_text())
    assert definition["version"] == 3
    assert [item["src"] for item in definition["additional_build_files"]] == [f"../build/{TARBALL}"]


def test_execution_environment_python_requirements_match_the_repository():
    ee = requirement_lines(EE_DIR / "requirements.txt")
    repository = requirement_lines(ROOT / "requirements.txt")
    assert {"boto3", "botocore", "cryptography", "netaddr", "pymysql"} == set(ee)
    drift = {name: (spec, repository.get(name)) for name, spec in ee.items() if repository.get(name) != spec}
    assert not drift, f"execution-environment/requirements.txt differs from requirements.txt: {drift}"


def test_collection_metadata_names_the_execution_environment_files():
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text())
    for kind in ("python", "system"):
        assert (ROOT / meta["dependencies"][kind]).is_file()


@pytest.fixture(scope="module")
def artifact(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    subprocess.run(
        [BIN / "ansible-galaxy", "collection", "build", "--output-path", out, ROOT],
        check=True,
        capture_output=True,
    )
    return out / TARBALL


def test_artifact_ships_the_license_and_every_document_it_cites(artifact):
    with tarfile.open(artifact) as tar:
        names = set(tar.getnames())
        license_text = tar.extractfile("LICENSE").read().decode()
        texts = {
            name: tar.extractfile(name).read().decode()
            for name in names
            if name.endswith((".py", ".yml", ".md")) and tar.getmember(name).isfile()
        }
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text  # the full text, not a pointer
    assert GALAXY["license"] == ["Apache-2.0"]
    says_license = [name for name, text in texts.items() if "see LICENSE" in text]
    assert len(says_license) > 20
    assert not [name for name in names if name.startswith(("src/", "tests/emulator", "tests/integration"))]
    cited = {(name, ref) for name, text in texts.items() for ref in re.findall(r"\bdocs/[\w./-]+\.md\b", text)}
    assert cited, "the validation modules cite docs/aws-limits.md"
    assert not [(name, ref) for name, ref in cited if ref not in names]
    outside = [name for name, text in texts.items() if "../shared/" in text]
    assert not outside, f"files citing documents outside the collection: {outside}"


def test_ansible_builder_create_lists_every_dependency(artifact, tmp_path):
    """`ansible-builder create` (no container engine needed): the context installs every dependency."""
    shutil.copytree(EE_DIR, tmp_path / "execution-environment")
    (tmp_path / "build").mkdir()
    shutil.copy(artifact, tmp_path / "build")
    context = tmp_path / "context"
    subprocess.run(
        [BIN / "ansible-builder", "create", "--context", context, "--output-filename", "Containerfile"],
        cwd=tmp_path / "execution-environment",
        check=True,
        capture_output=True,
    )
    containerfile = (context / "Containerfile").read_text()
    build = context / "_build"
    assert (build / "collections" / TARBALL).is_file()
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())["collections"]
    assert {entry["name"] for entry in galaxy} == {f"/build/collections/{TARBALL}", *GALAXY["dependencies"]}
    assert set(requirement_lines(build / "requirements.txt")) == {
        "boto3",
        "botocore",
        "cryptography",
        "netaddr",
        "pymysql",
    }
    bindep = (build / "bindep.txt").read_text()
    assert re.search(r"^openssl \[", bindep, re.M)
    assert "ansible-galaxy collection install" in containerfile and "-r requirements.yml" in containerfile
    assert "COPY _build /build" in containerfile
    assert "--user-pip=requirements.txt --user-bindep=bindep.txt" in containerfile
    assert "ansible-core>=2.21,<2.22" in containerfile
