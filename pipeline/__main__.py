"""``python -m pipeline`` runs the cable-ocr CLI."""

from __future__ import annotations

from pipeline.cli import main

main()
