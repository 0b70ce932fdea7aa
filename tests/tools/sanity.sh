#!/usr/bin/env bash
# ansible-test sanity on the collection as it ships: build the artifact, install it into a
# scratch ansible_collections tree (ansible-test needs that layout), run the tests there.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ansible-galaxy collection build --force --output-path "$work" "$root" >/dev/null
mkdir -p "$work/ansible_collections/livestack/aws"
tar -xzf "$work"/livestack-aws-*.tar.gz -C "$work/ansible_collections/livestack/aws"
# The collections ours depends on, from the ansible package, beside it as ansible-test expects.
site=$(python -c 'import ansible_collections; print([p for p in ansible_collections.__path__ if "site-packages" in p][0])')
for namespace in amazon community ansible; do ln -s "$site/$namespace" "$work/ansible_collections/$namespace"; done
cd "$work/ansible_collections/livestack/aws"
# ansible-test bootstraps pip in its venvs with a script from a host outside our reach.
pip_version=$(python - <<'PY'
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
import sys
print(get_venv_packages(NativePythonConfig(version=f"{sys.version_info[0]}.{sys.version_info[1]}"))["pip"].replace(".", "_"))
PY
)
mkdir -p ~/.ansible/test/cache
cp "$root/tests/tools/get_pip_standin.py" ~/.ansible/test/cache/get_pip_"$pip_version".py
# Skipped: tests that need a container runtime or every Python version ansible-test knows.
ansible-test sanity --python "$(python -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')" \
  --color no --requirements "$@"
