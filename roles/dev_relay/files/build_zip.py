"""Build a Lambda zip deterministically: same sources, same bytes, same CodeSha256.

Entries sorted, timestamps fixed at 1980-01-01, permissions 0644, no directory entries, so an
unchanged function is never uploaded again (the lambda module compares CodeSha256).

    python build_zip.py OUT.zip FILE [FILE ...]     prints "changed" when OUT.zip was (re)written
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

EPOCH = (1980, 1, 1, 0, 0, 0)


def zip_bytes(files: list[Path]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(files, key=lambda p: p.name):
            info = zipfile.ZipInfo(path.name, date_time=EPOCH)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    return buffer.getvalue()


def build(output: Path, files: list[Path]) -> bool:
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
    print("changed" if build(Path(argv[0]), [Path(name) for name in argv[1:]]) else "unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
