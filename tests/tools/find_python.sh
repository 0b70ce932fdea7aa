#!/usr/bin/env bash
# Prints the path of a Python >= 3.12 for the venvs (ansible-core 2.20 and 2.21 need it on the controller):
# $PYTHON if set, else python3.12/3.13/3.14/python3 on PATH, else pyenv's, oldest first (3.12 is the floor of both
# releases we test, so what passes here passes on newer ones); else says how to get one.
set -euo pipefail
fits() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }
if [ -n "${PYTHON:-}" ]; then
  fits "$PYTHON" || { echo "PYTHON=$PYTHON is not a Python >= 3.12 (ansible-core 2.20 and 2.21 need it)" >&2; exit 1; }
  command -v "$PYTHON"
  exit 0
fi
candidates=(python3.12 python3.13 python3.14 python3)
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
if [ -d "$pyenv_root/versions" ]; then
  mapfile -t pyenv_pythons < <(ls -d "$pyenv_root"/versions/3.*/bin/python 2>/dev/null | sort -V)
  candidates+=("${pyenv_pythons[@]}")
fi
for candidate in "${candidates[@]}"; do
  if command -v "$candidate" >/dev/null && fits "$candidate"; then
    command -v "$candidate"
    exit 0
  fi
done
cat >&2 <<'MSG'
No Python >= 3.12 found (ansible-core 2.20 and 2.21 need it): tried python3.12, python3.13, python3.14,
python3 on PATH and pyenv's versions. Install one, e.g. `apt-get install python3.12-venv` (Debian 13,
Ubuntu 24.04), `pyenv install 3.12`, or `uv python install 3.12`, or name it: `make PYTHON=/path/to/python3.12`.
MSG
exit 1
