"""Period packages and input directories on disk: the only file I/O around ``ledger.package``.

``ledger`` produces and parses packages as ``dict[relative path, bytes]``; this module maps such
a dict to a folder (or a ``.zip``) and back. Writes go to a temporary name and are renamed
into place, so a crash never leaves a half-written package that looks complete.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path

__all__ = ["read_dir", "read_package", "write_package"]


def read_dir(path: Path) -> dict[str, bytes]:
    """Every regular file below ``path``, keyed by its relative POSIX path."""
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: not a directory")
    return {
        file.relative_to(path).as_posix(): file.read_bytes()
        for file in sorted(path.rglob("*"))
        if file.is_file()
    }


def read_package(path: Path) -> dict[str, bytes]:
    """A package from a folder or a ``.zip`` file."""
    if path.is_file() and path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return {
                info.filename: archive.read(info)
                for info in archive.infolist()
                if not info.is_dir()
            }
    return read_dir(path)


def write_package(path: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` as the folder ``path`` (replaced whole) or, for ``*.zip``, an archive."""
    path = path.resolve()
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp) if tmp.is_dir() else tmp.unlink()
    if path.suffix == ".zip":
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, files[name])
    else:
        for name in sorted(files):
            target = tmp / name
            if ".." in Path(name).parts or Path(name).is_absolute():
                raise ValueError(f"refusing a package path outside the package: {name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[name])
    if path.exists():
        old = path.with_name(path.name + ".old")
        os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    else:
        os.replace(tmp, path)
