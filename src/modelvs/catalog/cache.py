"""A pickle cache of the loaded catalog, invalidated by any change to a catalog file.

The fingerprint hashes every file's path and content plus the modelvs version, so an edited,
added or removed file (or an upgrade) reloads from YAML. Content is hashed rather than
modification times, whose coarse resolution could miss two quick edits. The cache lives in
``$MODELVS_CACHE_DIR``, else ``$XDG_CACHE_HOME/modelvs``, else ``~/.cache/modelvs``; it is
private to the user, which is why reading a pickle from it is acceptable.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CACHE_FORMAT = 1


def cache_dir() -> Path:
    explicit = os.environ.get("MODELVS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "modelvs"


def catalog_files(root: Path) -> list[Path]:
    files = [root / name for name in ("organizations.yaml", "providers.yaml", "benchmarks.yaml")]
    return files + sorted((root / "models").rglob("*.yaml"))


def fingerprint(root: Path, version: str) -> str:
    digest = hashlib.blake2b(f"{CACHE_FORMAT}\0{version}\0".encode(), digest_size=20)
    for path in catalog_files(root):
        try:
            content = path.read_bytes()
        except OSError:
            digest.update(f"{path}\0missing\0".encode())
            continue
        digest.update(f"{path}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def _cache_path(root: Path) -> Path:
    name = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    return cache_dir() / f"catalog-{name}.pickle"


def load_cached(root: Path, print_: str) -> Any | None:
    """Return the cached value for ``root`` when its fingerprint ``print_`` still matches."""
    path = _cache_path(root)
    try:
        with path.open("rb") as handle:
            stored_print, value = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as exc:  # a truncated or foreign file: ignore it and reload from YAML
        log.warning("ignoring unreadable catalog cache %s: %s", path, exc)
        return None
    return value if stored_print == print_ else None


def store_cached(root: Path, print_: str, value: Any) -> None:
    """Write the cache atomically; a failure only costs the next load its speed."""
    path = _cache_path(root)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        with partial.open("wb") as handle:
            pickle.dump((print_, value), handle, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)
    except OSError as exc:
        log.warning("could not write the catalog cache %s: %s", path, exc)
