"""Locate data shipped with cable-ocr (dictionaries, schemas, samples)."""

from __future__ import annotations

from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent


def data_path(kind: str) -> Path:
    """Folder of bundled data ``kind`` ("dictionaries", "schemas" or "samples").

    The top-level folders of the checkout cable-ocr is installed from (``pip install -e .``,
    as ``scripts/setup.sh`` does).
    """
    return _REPO / kind


def user_data_dir() -> Path:
    """Folder of what review teaches later runs (``user_words.txt``, ``protected.txt``).

    ``$CABLE_OCR_HOME`` when set, else ``~/.local/share/cable-ocr``. Not created here.
    """
    import os

    home = os.environ.get("CABLE_OCR_HOME")
    if home:
        return Path(home)
    return Path.home() / ".local" / "share" / "cable-ocr"


def cache_dir() -> Path:
    """Folder for data cable-ocr can rebuild at any time (``$XDG_CACHE_HOME/cable-ocr``)."""
    import os

    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "cable-ocr"


def package_version() -> str:
    """The installed cable-ocr version, or ``unknown`` when running from a bare source tree."""
    from importlib import metadata

    try:
        return metadata.version("cable-ocr")
    except metadata.PackageNotFoundError:
        return "unknown"
