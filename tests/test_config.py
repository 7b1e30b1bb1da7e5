from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import PipelineConfig, load_config
from pipeline.errors import BadArgumentsError


def test_defaults_are_valid() -> None:
    config = load_config(None)
    assert config == PipelineConfig()
    assert config.output.formats == ("txt", "json", "csv")


def test_toml_overrides_and_lists_become_tuples(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[ocr]\npsm = 4\nlang = "eng+fra"\n[preprocess]\nsteps = ["grayscale", "otsu"]\n'
        '[output]\nformats = ["txt", "alto"]\n'
    )
    config = load_config(path)
    assert config.ocr.psm == 4 and config.ocr.lang == "eng+fra"
    assert config.preprocess.steps == ("grayscale", "otsu")
    assert config.output.formats == ("txt", "alto")


@pytest.mark.parametrize(
    "text, message",
    [
        ("[ocr]\nbogus = 1\n", "unknown option"),
        ("[nosuch]\nx = 1\n", "unknown section"),
        ("[output]\nformats = ['docx']\n", "unknown output format"),
        ("[ingest]\nfirst_page = 5\nlast_page = 2\n", "after last page"),
        ("[correction]\napply_above = 0.3\nflag_above = 0.6\n", "thresholds"),
        ("[ocr]\nrows_aligned = 1.5\n", "rows_aligned must be 0-1"),
        ("[ocr]\ndash_rows = -1\n", "dash_rows must be 0 or 2 or more"),
        ("[ocr]\ndash_rows = 1\n", "dash_rows must be 0 or 2 or more"),
        ("[ocr]\nfragment_below = 2\n", "fragment_below must be 0-1"),
        ("[correction]\nmax_edit_distance = 3\n", "max_edit_distance must be 0-2"),
        ("not toml = = =", "not valid TOML"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(BadArgumentsError, match=message):
        load_config(path)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(BadArgumentsError, match="not found"):
        load_config(tmp_path / "absent.toml")


@pytest.mark.parametrize(
    "text",
    [
        '[ingest]\ndpi = "300"\n',
        "ingest = 3\n",
        '[output]\nformats = "txt"\n',
        "[correction]\nenabled = 1\n",
        "[preprocess]\nsteps = [1, 2]\n",
    ],
)
def test_wrong_types_are_bad_arguments(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(BadArgumentsError, match="wrong type|table"):
        load_config(path)


def test_optional_and_float_fields_accept_toml_values(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[correction]\napply_above = 1\nflag_above = 0.5\n[ingest]\nfirst_page = 2\n")
    config = load_config(path)
    assert config.correction.apply_above == 1 and config.ingest.first_page == 2


def test_readme_configuration_example_is_valid(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "readme.toml"
    path.write_text(example)
    config = load_config(path)
    assert config.preprocess.steps == PipelineConfig().preprocess.steps
    assert config.ocr.psm == PipelineConfig().ocr.psm
