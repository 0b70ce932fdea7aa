"""Stand-in for the get-pip.py that ansible-test downloads from a host this machine cannot reach.

ansible-test runs it as ``python get_pip.py [pip options] pip==X`` inside a fresh venv: bootstrap
pip with the standard library's ensurepip, then install what was asked for from the package index.
"""

import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
options = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install", *options])
