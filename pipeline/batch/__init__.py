"""Batch processing of archive folders: parallel, resumable, failure-isolating.

``run_batch`` finds every cable under an archive folder, reads all their pages on a local
process pool or a Dask cluster, and writes one output folder per cable, mirroring the
archive's folder structure. See ``pipeline.batch.runner`` for the scheduling and
``pipeline.batch.manifest`` for how finished work survives a crash.
"""

from __future__ import annotations

from pipeline.batch.report import BatchReport, CableResult
from pipeline.batch.runner import BatchProgress, run_batch
from pipeline.workers import default_workers

__all__ = ["BatchProgress", "BatchReport", "CableResult", "default_workers", "run_batch"]
