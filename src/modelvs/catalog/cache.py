"""A pickle cache of the loaded catalog, invalidated by any change to a catalog file.

The fingerprint hashes every file's path and content plus the modelvs version, so an edited,
added or removed file (or an upgrade) reloads from YAML. It also hashes today's date, because
some checks compare release dates with today. Content is hashed rather than
modification times, whose coarse resolution could miss two quick edits. The cache lives in
``$MODELVS_CACHE_DIR``, else ``$XDG_CACHE_HOME/modelvs``, else ``~/.cache/modelvs``; it is
private to the user, which is why reading a pickle from it is acceptable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import pickle
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Bump when the pickled value or the problems it records change shape or meaning.
CACHE_FORMAT = 2

REGISTRY_FILES = ("organizations.yaml", "providers.yaml", "benchmarks.yaml")
YAML_SUFFIXES = (".yaml", ".yml")


def cache_dir() -> Path:
    explicit = os.environ.get("MODELVS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "modelvs"


def model_file_candidates(root: Path) -> list[Path]:
    """Return every YAML file under ``models/``, including the misnamed ``.yml`` and ``.YAML``.

    The loader reads the ``.yaml`` ones and reports the others, so none is skipped silently.
    """
    found = (root / "models").rglob("*")
    return sorted(p for p in found if p.suffix.lower() in YAML_SUFFIXES and p.is_file())


def catalog_files(root: Path) -> list[Path]:
    registries = [root / name for name in REGISTRY_FILES]
    # A misnamed registry file changes the message shown when the right one is missing.
    misnamed = [path.with_suffix(".yml") for path in registries]
    return registries + misnamed + model_file_candidates(root)


def fingerprint(root: Path, version: str, today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    header = f"{CACHE_FORMAT}\0{version}\0{today.isoformat()}\0"
    digest = hashlib.blake2b(header.encode(), digest_size=20)
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
