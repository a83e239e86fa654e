"""catgoodhart.sweep: the same results in this process and on a Dask LocalCluster, a worker
killed mid-sweep, resume after an interruption, and the ``catgoodhart sweep`` commands."""

import os
import signal
import threading
import time

import numpy as np
import pytest

from catgoodhart import bon
from catgoodhart.cli import main
from catgoodhart.sweep import cell_seed, load_results, read_sweep, run_sweep
from catgoodhart.tails import calibrate

distributed = pytest.importorskip("distributed")

GRID = {"n": [1, 4, 16], "trials": 20}
CALIBRATION = calibrate.calibration_cells(4, [2000])  # 64 samples, a few hundredths of a second each


def _grid(out, **engine):
    return run_sweep(bon.grid_cell, bon.grid_cells(), out, kind="bon-grid", seed=7, settings=GRID, **engine)


def _calibration(out, **engine):
    return run_sweep(calibrate.calibration_cell, CALIBRATION, out, kind="tail-calibration", seed=3,
                     settings={"seeds": 4, "sizes": [2000]}, **engine)


#: quadrature results that may differ in the last bits between processes (the exact best-of-n
#: integrals); everything drawn from a seed must agree bit for bit
QUADRATURE = ("mean_utility", "mean_proxy")


def _same_results(a, b, count):
    results = load_results(a), load_results(b)
    assert len(results[0]) == len(results[1]) == count
    for c, (ours, theirs) in enumerate(zip(*results, strict=True)):
        assert set(ours) == set(theirs)
        for key in ours:
            if key in QUADRATURE:  # 4 ulps: one rounding more or less in a sum of a few terms
                np.testing.assert_array_max_ulp(ours[key], theirs[key], maxulp=4)
            else:
                np.testing.assert_array_equal(ours[key], theirs[key], err_msg=f"cell {c}: {key}")


@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    base = tmp_path_factory.mktemp("sweep")
    _grid(base / "grid", workers=1)
    _calibration(base / "calibration", workers=1)
    return base


def test_local_cluster_equals_in_process(in_process, tmp_path):
    names = ("NUMBA_NUM_THREADS", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "OMP_NUM_THREADS")
    environ = {name: os.environ.get(name) for name in names}
    run = _grid(tmp_path / "grid", workers=2)
    # the workers' settings stay theirs: this process's environment is as it was
    assert {name: os.environ.get(name) for name in names} == environ
    assert run.complete and run.cells_run == run.cells == 10 and run.engine == "LocalCluster (2 workers)"
    # bit for bit: cell c draws from child c of SeedSequence(7) wherever it runs
    _same_results(in_process / "grid", tmp_path / "grid", run.cells)


def test_in_process_equals_the_library_grid(in_process):
    """The sweep's cells are paper_bon_grid's: the same seeds give the same grid."""
    grid = bon.paper_bon_grid(GRID["n"], trials=GRID["trials"], seed=7)
    swept = bon.assemble_grid(load_results(in_process / "grid"), GRID["n"], GRID["trials"])
    np.testing.assert_array_equal(grid.mc_mean_utility, swept.mc_mean_utility)
    np.testing.assert_array_equal(grid.mean_utility, swept.mean_utility)


def test_a_killed_worker_costs_only_its_cells(in_process, tmp_path):
    """SIGKILL one of two workers once a few cells are done: the scheduler gives its cells to the
    other worker (and to the one its nanny restarts), and the results equal the run in this
    process."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0")
    client = distributed.Client(cluster)
    try:
        victim = next(iter(client.run(os.getpid).values()))
        cells = tmp_path / "run" / "cells"
        seen = {}

        def kill_when_running():
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                done = len(os.listdir(cells)) if cells.is_dir() else 0
                if done >= 5:
                    seen["done at the kill"] = done
                    os.kill(victim, signal.SIGKILL)
                    return
                time.sleep(0.01)

        killer = threading.Thread(target=kill_when_running)
        killer.start()
        run = _calibration(tmp_path / "run", scheduler=cluster.scheduler_address)
        killer.join()
    finally:
        client.close()
        cluster.close()
    assert run.complete and run.engine.startswith("scheduler at")
    assert 5 <= seen["done at the kill"] < len(CALIBRATION)  # the kill came mid-sweep
    with pytest.raises(ProcessLookupError):
        os.kill(victim, 0)
    _same_results(in_process / "calibration", tmp_path / "run", len(CALIBRATION))


def test_resume_after_an_interruption(in_process, tmp_path):
    first = _calibration(tmp_path / "run", workers=1, max_cells=10)
    assert (first.cells_done, first.cells_run, first.complete) == (10, 10, False)
    with pytest.raises(ValueError, match="already exists"):
        _calibration(tmp_path / "run", workers=1)
    rest = _calibration(tmp_path / "run", workers=2, resume=True)
    assert (rest.cells_done, rest.cells_run, rest.complete) == (64, 54, True)
    _same_results(in_process / "calibration", tmp_path / "run", len(CALIBRATION))
    assert read_sweep(tmp_path / "run", kind="tail-calibration")["seed"] == 3


def test_bad_input(tmp_path):
    with pytest.raises(ValueError, match="`seed` must be an int >= 0"):
        run_sweep(bon.grid_cell, bon.grid_cells(), tmp_path / "a", kind="bon-grid", seed=-1, settings=GRID)
    with pytest.raises(ValueError, match="`workers` must be an integer >= 1"):
        _grid(tmp_path / "b", workers=0)
    with pytest.raises(ValueError, match="one distinct file name per cell"):
        run_sweep(bon.grid_cell, bon.grid_cells(), tmp_path / "c", kind="bon-grid", seed=1, settings=GRID,
                  names=["x"] * 10, workers=1)
    _grid(tmp_path / "d", workers=1, max_cells=1)
    with pytest.raises(ValueError, match=r"trials: run has 20, asked 5"):
        run_sweep(bon.grid_cell, bon.grid_cells(), tmp_path / "d", kind="bon-grid", seed=7,
                  settings={**GRID, "trials": 5}, resume=True, workers=1)
    with pytest.raises(ValueError, match="cannot reach the Dask scheduler"):
        _grid(tmp_path / "e", scheduler="tcp://127.0.0.1:9")


def test_cell_seed_is_the_spawned_child():
    children = np.random.SeedSequence(5).spawn(3)
    for i, child in enumerate(children):
        assert cell_seed(5, i).generate_state(4).tolist() == child.generate_state(4).tolist()


def test_sweep_commands(tmp_path, capsys):
    grid = ["sweep", "bon-grid", "--run", str(tmp_path / "grid"), "--n", "1", "4", "--trials", "10"]
    assert main([*grid, "--no-dask", "--json", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert '"mc_trials": 10' in printed
    assert main([*grid, "--no-dask", "--workers", "2"]) == 2
    assert "--no-dask runs in this process" in capsys.readouterr().err
    table = tmp_path / "table.md"
    assert main(["sweep", "calibration", "--seeds", "1", "--sizes", "100", "--no-dask", "--quiet",
                 "--table", str(table)]) == 0
    assert table.read_text(encoding="utf-8").startswith("# Calibration of `tail_report`")
    assert main(["sweep", "calibration", "--sizes", "20", "--no-dask", "--table", str(table)]) == 2
    assert "every size must be >= 50" in capsys.readouterr().err
