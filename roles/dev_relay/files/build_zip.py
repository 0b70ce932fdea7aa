"""Build a Lambda zip deterministically: same sources, same bytes, same CodeSha256.

Entries sorted, timestamps fixed at 1980-01-01, permissions 0644, no directory entries, so an
unchanged function is never uploaded again (the lambda module compares CodeSha256). A file goes
in under its own name; a directory (a vendored package such as pymysql) under its name, with
its files, without ``__pycache__``; ``NAME=PATH`` puts a file in under NAME (a path in the zip).

    python build_zip.py OUT.zip PATH|NAME=PATH [...]     prints "changed" when OUT.zip was (re)written
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

EPOCH = (1980, 1, 1, 0, 0, 0)


def entries(paths: list[Path | str]) -> list[tuple[str, Path]]:
    """(name in the zip, file) for every file of the given files, ``NAME=PATH`` and directories, sorted by name."""
    found = []
    for given in paths:
        name, separator, location = str(given).partition("=")
        path = Path(location if separator else given)
        if separator:
            found.append((name, path))
        elif path.is_dir():
            for item in path.rglob("*"):
                if item.is_file() and "__pycache__" not in item.parts and item.suffix != ".pyc":
                    found.append((f"{path.name}/{item.relative_to(path).as_posix()}", item))
        else:
            found.append((path.name, path))
    return sorted(found)


def zip_bytes(files: list[Path | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, path in entries(files):
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    return buffer.getvalue()


def build(output: Path, files: list[Path | str]) -> bool:
    """Write ``output`` unless it already holds these bytes; True when written."""
    data = zip_bytes(files)
    if output.exists() and output.read_bytes() == data:
        return False
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    return True


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    print("changed" if build(Path(argv[0]), argv[1:]) else "unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
