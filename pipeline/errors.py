"""Every error cable-ocr raises, with the exit code the CLI turns it into.

The library raises these; only ``pipeline.cli`` converts them into a one-line message and an
exit code. Messages name the file and say what to do.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes (a stable interface, documented in the README).

    - ``OK`` (0): success.
    - ``BAD_ARGS`` (1): invalid options or arguments.
    - ``INPUT_ERROR`` (2): an input is missing, empty, corrupt, encrypted or unsupported.
    - ``MISSING_DEPENDENCY`` (3): Tesseract, its language data or poppler is not installed.
    - ``DICTIONARY_ERROR`` (4): a dictionary is missing or corrupt.
    - ``OUTPUT_ERROR`` (5): the output folder cannot be written.
    - ``PARTIAL_FAILURE`` (6): a batch finished but some cables failed.
    - ``CABLE_ERROR`` (7): the input is not one coherent cable (two cables mixed, contradictory
      section counts) and was refused.
    - ``ALL_FAILED`` (8): a batch in which every cable failed.
    - ``INTERNAL_ERROR`` (15): an unexpected error (a bug): reported in one line; set
      ``CABLE_OCR_DEBUG=1`` for the traceback.
    - ``INTERRUPTED`` (130): stopped by Ctrl-C; finished work is kept.
    """

    OK = 0
    BAD_ARGS = 1
    INPUT_ERROR = 2
    MISSING_DEPENDENCY = 3
    DICTIONARY_ERROR = 4
    OUTPUT_ERROR = 5
    PARTIAL_FAILURE = 6
    CABLE_ERROR = 7
    ALL_FAILED = 8
    INTERNAL_ERROR = 15
    INTERRUPTED = 130


class PipelineError(Exception):
    """Base class: an error the user can act on, with its exit code."""

    exit_code: ExitCode = ExitCode.INPUT_ERROR


class BadArgumentsError(PipelineError):
    """Invalid options or configuration."""

    exit_code = ExitCode.BAD_ARGS


class InputError(PipelineError):
    """An input file is missing, empty, corrupt, encrypted, too large or unsupported."""

    exit_code = ExitCode.INPUT_ERROR


class MissingDependencyError(PipelineError):
    """An external program or its data (Tesseract, language pack, poppler) is missing."""

    exit_code = ExitCode.MISSING_DEPENDENCY


class DictionaryError(PipelineError):
    """A dictionary file is missing, empty or malformed."""

    exit_code = ExitCode.DICTIONARY_ERROR


class OutputError(PipelineError):
    """The output location cannot be written."""

    exit_code = ExitCode.OUTPUT_ERROR


class CableError(PipelineError):
    """The pages do not form one coherent cable (mixed cables, contradictory headers)."""

    exit_code = ExitCode.CABLE_ERROR


class InterruptedRunError(PipelineError):
    """The run was stopped by Ctrl-C; finished work is kept."""

    exit_code = ExitCode.INTERRUPTED
