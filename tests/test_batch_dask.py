"""The same page tasks on a Dask cluster (a LocalCluster of two worker processes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from test_batch_runner import output_files

from pipeline.batch import run_batch
from pipeline.batch.runner import DaskExecutor
from pipeline.config import OutputConfig, PipelineConfig
from pipeline.errors import BadArgumentsError, ExitCode

distributed = pytest.importorskip("distributed")

CONFIG = PipelineConfig(output=OutputConfig(formats=("txt", "json", "csv")))


@pytest.mark.slow
@pytest.mark.usefixtures("needs_tesseract")
def test_dask_cluster_matches_local_pool(tmp_path: Path, make_page: Callable[..., Path]) -> None:
    arch = tmp_path / "arch"
    for number in range(3):
        path = arch / "texts" / f"cable{number}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"PAGE 01 MOSCOW {4640 + number:05d} 01 OF 01\nSUBJECT: ITEM {number}\n1. TEXT.\n",
            encoding="utf-8",
        )
    make_page("arch/scans/p1.png")
    make_page("arch/scans/p2.png")
    (arch / "broken.pdf").write_bytes(b"%PDF-1.4 cut off")

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            resources={"ocr": 1},
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        report = run_batch(arch, tmp_path / "dask-out", CONFIG, scheduler=cluster.scheduler_address)
        # the page tasks ran on the cluster's workers, not in this process
        ran_on = client.run(lambda: __import__("sys").modules.get("pipeline.read") is not None)
    assert any(ran_on.values())
    assert report.exit_code == ExitCode.PARTIAL_FAILURE
    statuses = {r.cable: r.status for r in report.results}
    assert statuses == {
        "texts/cable0": "done",
        "texts/cable1": "done",
        "texts/cable2": "done",
        "scans": "done",
        "broken": "failed",
    }
    assert report.pages_read == 5
    local = run_batch(arch, tmp_path / "local-out", CONFIG, workers=2)
    assert local.count("done") == 4
    assert output_files(tmp_path / "dask-out") == output_files(tmp_path / "local-out")


def test_unreachable_scheduler_is_a_bad_argument() -> None:
    with pytest.raises(BadArgumentsError, match="cannot reach a Dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:9", connect_timeout=2.0)


def test_client_is_closed_when_no_worker_joins(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[bool] = []

    class NoWorkers:
        def __init__(self, address: str, timeout: float) -> None:
            self.address = address

        def wait_for_workers(self, count: int, timeout: float) -> None:
            raise TimeoutError("no workers")

        def close(self) -> None:
            closed.append(True)

    monkeypatch.setattr(distributed, "Client", NoWorkers)
    with pytest.raises(BadArgumentsError, match="cannot reach a Dask scheduler with workers"):
        DaskExecutor("tcp://127.0.0.1:8786", connect_timeout=0.1)
    assert closed == [True]
