"""Find the cables in an archive folder tree.

A PDF, a multi-page TIFF and a ``.txt`` transcript are one cable each. The page images of a
folder (PNG, JPEG, BMP, single-page TIFF) form one unit of work: one cable, or several when
their ``PAGE`` lines name different cables (grouped after OCR, see ``cable_id_of``).
Symbolic-link loops are followed once; unreadable folders are reported, not fatal.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipeline.errors import InputError
from pipeline.ingest import IMAGE_SUFFIXES, natural_key
from pipeline.records import OcrPage

UnitKind = Literal["pdf", "tiff", "images", "text"]

HASH_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class CableUnit:
    """One unit of batch work: a file holding one cable, or a folder of page images.

    Attributes:
        key: archive-relative path with ``/`` separators; folders end with ``/``.
        kind: ``pdf``, ``tiff``, ``text`` or ``images`` (a folder's page images).
        inputs: the files to read, pages in natural order for a folder.
        out_name: archive-relative output folder (``box1/cable`` for ``box1/cable.pdf``).
    """

    key: str
    kind: UnitKind
    inputs: tuple[Path, ...]
    out_name: str


@dataclass(frozen=True, slots=True)
class DiscoveryProblem:
    """A folder or file that could not even be listed or classified."""

    key: str
    path: Path
    reason: str


@dataclass(slots=True)
class Discovery:
    """What ``discover_cables`` found."""

    units: list[CableUnit] = field(default_factory=list)
    problems: list[DiscoveryProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Things skipped on purpose (symbolic-link loops, the output folder)."""


def _tiff_frames(path: Path) -> int:
    """Number of frames in a TIFF; 0 when it cannot be opened."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return int(getattr(image, "n_frames", 1))
    except Exception:  # noqa: BLE001 - a broken TIFF becomes its own (failing) cable
        return 0


def _rel(path: Path, root: Path) -> str:
    rel = os.path.relpath(path, root)
    return "" if rel == "." else rel.replace(os.sep, "/")


def _strip_suffix(rel: str) -> str:
    head, _, name = rel.rpartition("/")
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    return f"{head}/{stem}" if head else stem


def _ancestors(name: str) -> set[str]:
    """The folders that contain folder ``name`` (``a/b/c`` -> ``a/b``, ``a``)."""
    return {name.rsplit("/", depth)[0] for depth in range(1, name.count("/") + 1)}


def _resolve_names(units: list[CableUnit], root_name: str) -> list[CableUnit]:
    """Give every unit an output folder that is neither shared nor inside another one.

    A name shared with another unit, or holding another unit's folder, is replaced: a
    folder's page images go to ``name/_pages``, a file to ``name_ext`` (``a/b.txt`` ->
    ``a/b_txt``). A replacement that is taken already, or is some unit's original name or
    one of its folders (``a/b_txt`` of ``a/b_txt.pdf``, say), gets a numeric suffix
    (``a/b_txt_2``) until it is unique.
    """
    names = [u.out_name or root_name for u in units]
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    ancestors = {folder for name in names for folder in _ancestors(name)}
    renamed: dict[int, str] = {}
    for number, (unit, name) in enumerate(zip(units, names, strict=True)):
        if counts[name] > 1 or name in ancestors:
            if unit.kind == "images":
                renamed[number] = f"{name}/_pages"
            else:
                head, _, tail = unit.key.rpartition("/")
                tail = tail.replace(".", "_")
                renamed[number] = f"{head}/{tail}" if head else tail
    # Names kept as found are unique and hold no other unit (else they were replaced). A
    # replacement avoids every original name and folder, so no later replacement can end up
    # inside it, and the suffix loop always ends.
    taken = {name for number, name in enumerate(names) if number not in renamed}
    reserved = set(names) | ancestors
    for number, base in renamed.items():
        name, suffix = base, 2
        while name in taken or name in reserved or not _ancestors(name).isdisjoint(taken):
            name, suffix = f"{base}_{suffix}", suffix + 1
        renamed[number] = name
        taken.add(name)
    return [
        CableUnit(u.key, u.kind, u.inputs, renamed.get(number, name))
        for number, (u, name) in enumerate(zip(units, names, strict=True))
    ]


def discover_cables(
    archive: Path,
    *,
    exclude: Sequence[Path] = (),
    scandir: Callable[[Path], Iterable[os.DirEntry[str]]] | None = None,
) -> Discovery:
    """Walk ``archive`` recursively and list its cables.

    Args:
        archive: the archive root folder.
        exclude: folders not to enter (the batch output folder when it lies inside).
        scandir: folder lister (``os.scandir``); replaceable for tests.

    Returns:
        Units sorted by key, plus problems (unreadable folders) and notes.

    Raises:
        InputError: ``archive`` is not a readable folder.
    """
    if not archive.is_dir():
        raise InputError(f"{archive}: not a folder; give the archive folder to process")
    lister = scandir or (lambda p: os.scandir(p))
    excluded = {os.path.realpath(p) for p in exclude}
    found = Discovery()
    seen: set[tuple[int, int]] = set()
    stack = [archive]
    while stack:
        folder = stack.pop()
        rel = _rel(folder, archive)
        try:
            info = folder.stat()
            if (info.st_dev, info.st_ino) in seen:
                found.notes.append(f"{folder}: already visited (symbolic-link loop), skipped")
                continue
            seen.add((info.st_dev, info.st_ino))
            entries = sorted(lister(folder), key=lambda e: e.name)
        except OSError as exc:
            found.problems.append(
                DiscoveryProblem(
                    f"{rel}/" if rel else "./",
                    folder,
                    f"cannot read folder ({exc.strerror or exc})",
                )
            )
            continue
        images: list[Path] = []
        subfolders: list[Path] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                if entry.is_dir():
                    if os.path.realpath(path) not in excluded:
                        subfolders.append(path)
                    continue
                if not entry.is_file():
                    continue
            except OSError as exc:
                found.problems.append(DiscoveryProblem(_rel(path, archive), path, str(exc)))
                continue
            suffix = path.suffix.lower()
            key = _rel(path, archive)
            if suffix == ".pdf":
                found.units.append(CableUnit(key, "pdf", (path,), _strip_suffix(key)))
            elif suffix == ".txt":
                found.units.append(CableUnit(key, "text", (path,), _strip_suffix(key)))
            elif suffix in (".tif", ".tiff") and _tiff_frames(path) != 1:
                found.units.append(CableUnit(key, "tiff", (path,), _strip_suffix(key)))
            elif suffix in IMAGE_SUFFIXES:  # grouped by folder; a multi-frame TIFF is its own
                images.append(path)
        if images:
            images.sort(key=natural_key)
            found.units.append(CableUnit(f"{rel}/" if rel else "./", "images", tuple(images), rel))
        stack.extend(reversed(subfolders))
    found.units.sort(key=lambda u: u.key)
    found.units = _resolve_names(found.units, archive.resolve().name or "archive")
    return found


def file_digest(path: Path) -> str:
    """SHA-256 of a file's content (hex)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def stat_signature(unit: CableUnit) -> str:
    """Cheap fingerprint: path, size and modification time of every input file."""
    parts = []
    for path in unit.inputs:
        info = path.stat()
        parts.append(f"{path}\x1f{info.st_size}\x1f{info.st_mtime_ns}")
    return "\x1e".join(parts)


def content_hash(unit: CableUnit) -> str:
    """Fingerprint of what a unit holds: its kind and the content of its files, in order.

    Two copies of a cable under different names have the same content hash.
    """
    digest = hashlib.sha256(unit.kind.encode())
    for path in unit.inputs:
        digest.update(file_digest(path).encode())
    return digest.hexdigest()


HEADER_LINES = 6
"""A page's ``PAGE`` line is looked for among its first lines."""


def cable_id_of(page: OcrPage) -> str | None:
    """The cable id in a page's ``PAGE nn POST NNNNN ...`` line, e.g. ``MOSCOW 04648``.

    Uses the structure grammar's page-line parser (which repairs common confusions in the
    numbers, O/0, I/1), also on a ``PAGE`` line that OCR joined to other text before it.
    """
    from pipeline.structure.grammar import parse_page_line

    for line in page.lines()[:HEADER_LINES]:
        tokens = [word.text.upper() for word in line]
        for start in range(len(tokens)):
            parsed = parse_page_line(" ".join(tokens[start:]))
            if parsed is not None and parsed.fields.get("cable_id"):
                return str(parsed.fields["cable_id"])
    return None


def id_slug(cable_id: str) -> str:
    """Folder name for a cable id: ``MOSCOW 04648`` -> ``MOSCOW_04648``."""
    return re.sub(r"[^A-Za-z0-9]+", "_", cable_id).strip("_") or "cable"
