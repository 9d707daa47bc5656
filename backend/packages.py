"""Period packages and input directories on disk: the only file I/O around ``ledger.package``.

``ledger`` produces and parses packages as ``dict[relative path, bytes]``; this module maps such
a dict to a folder (or a ``.zip``) and back. Writes go to a temporary name and are renamed
into place, so a crash never leaves a half-written package that looks complete.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

__all__ = ["PackageWriter", "archive_bytes", "read_dir", "read_package", "write_package"]


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


class PackageWriter:
    """Writes package files into a folder in a background thread as they are produced.

    Use as a context manager and pass :meth:`add` as ``build_package(on_file=...)``; on a clean
    exit the folder replaces ``path`` whole, on an error nothing replaces it.
    """

    def __init__(self, path: Path) -> None:
        self._path = path.resolve()
        self._tmp = self._path.with_name(self._path.name + ".tmp")
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="package-writer")
        self._pending: list[Future[None]] = []

    def __enter__(self) -> PackageWriter:
        if self._tmp.exists():
            shutil.rmtree(self._tmp)
        self._tmp.mkdir(parents=True)
        return self

    def add(self, name: str, data: bytes) -> None:
        target = _inside(self._tmp, name)
        self._pending.append(self._pool.submit(_write_file, target, data))

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self._pool.shutdown(wait=True)
        failures = [e for f in self._pending if (e := f.exception()) is not None]
        if kind is not None or failures:
            shutil.rmtree(self._tmp, ignore_errors=True)
            if kind is None:
                raise failures[0]
            return
        _replace(self._tmp, self._path)


def _inside(root: Path, name: str) -> Path:
    if ".." in Path(name).parts or Path(name).is_absolute():
        raise ValueError(f"refusing a package path outside the package: {name}")
    return root / name


def _write_file(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _replace(tmp: Path, path: Path) -> None:
    if path.exists():
        old = path.with_name(path.name + ".old")
        os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    else:
        os.replace(tmp, path)


def write_package(path: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` as the folder ``path`` (replaced whole) or, for ``*.zip``, an archive."""
    path = path.resolve()
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp) if tmp.is_dir() else tmp.unlink()
    if path.suffix == ".zip":
        tmp.write_bytes(archive_bytes(files))
    else:
        for name in sorted(files):
            _write_file(_inside(tmp, name), files[name])
    _replace(tmp, path)


def archive_bytes(files: Mapping[str, bytes]) -> bytes:
    """The package's one archive form: names sorted, a fixed timestamp, deflated, so the same
    files always give the same bytes (what ``write_package`` writes for ``*.zip``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return buffer.getvalue()
