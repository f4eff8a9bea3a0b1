"""Where photo files live, by the sha256 of their bytes: the one place that touches them.

A file is named by its own hash, so it is written once and never changed: two uploads of the
same picture share it, and a file that no longer matches its name has been tampered with
(`consult verify` checks). Today the store is a directory every worker sees; an object store
would be a second class with the same four methods.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

_HEX = frozenset("0123456789abcdef")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _valid(sha: str) -> bool:
    return len(sha) == 64 and set(sha) <= _HEX


class DirectoryStore:
    """Files under `root/ab/cd/abcd…`, written through a temporary file and a rename."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, sha: str) -> Path:
        if not _valid(sha):
            raise ValueError(f"not a sha256: {sha!r}")
        return self.root / sha[:2] / sha[2:4] / sha

    def _put(self, data: bytes) -> str:
        sha = digest(data)
        path = self._path(sha)
        if path.exists():
            os.utime(path)  # fresh again, so a sweep of unreferenced files leaves it alone
            return sha
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def _get(self, sha: str) -> bytes | None:
        try:
            return self._path(sha).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    async def put(self, data: bytes) -> str:
        """Keep the bytes; their sha256 names them."""
        return await asyncio.to_thread(self._put, data)

    async def get(self, sha: str) -> bytes | None:
        return await asyncio.to_thread(self._get, sha)

    def delete(self, sha: str) -> None:
        self._path(sha).unlink(missing_ok=True)

    def names(self, older_than_seconds: float = 0) -> Iterator[str]:
        """Every kept file's sha256 (only those untouched for the given time)."""
        if not self.root.is_dir():
            return
        cutoff = time.time() - older_than_seconds
        for path in self.root.glob("??/??/*"):
            if _valid(path.name) and path.stat().st_mtime <= cutoff:
                yield path.name


def store(root: str | Path) -> DirectoryStore:
    return DirectoryStore(root)
