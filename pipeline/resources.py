"""Locate data shipped with cable-ocr (dictionaries, schemas, samples)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parent


def data_path(kind: str) -> Path:
    """Folder of bundled data ``kind`` ("dictionaries", "schemas" or "samples").

    A source checkout (editable install) uses the top-level folder; a wheel carries a copy
    under ``pipeline/_data``.
    """
    for candidate in (_REPO / kind, _PACKAGE / "_data" / kind):
        if candidate.is_dir():
            return candidate
    return _REPO / kind
