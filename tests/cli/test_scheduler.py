"""``consolidate --scheduler``: the files read on a Dask cluster (a ``LocalCluster`` on
loopback, started here), the outputs the same bytes as a run on this machine, every input
accounted for when a reading process or a worker dies, and a cluster that cannot be used
refused in one line before anything is read."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mineral_compliance import __version__, _isolation
from mineral_compliance.cli import _common, main
from mineral_compliance.consolidation import loading

from ..conftest import FIXTURES

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
dask = pytest.importorskip("dask")

DEMO = FIXTURES / "demo"
REFUSED = FIXTURES / "refused"
KILLER = "crt-2.21-cobalt.xlsx"
QUIET = {"scheduler_kwargs": {"dashboard_address": "127.0.0.1:0"}}
"""A scheduler without a dashboard still serves its metrics over HTTP, by default on port
8787 of every interface (and warns when another cluster holds it): here, any free port on
loopback."""


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    # Dask gives up on a task at the first worker that dies under it (three by default), so
    # that a dead worker shows at once
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(host="127.0.0.1", processes=True, n_workers=2,
                                     threads_per_worker=1, dashboard_address=None,
                                     **QUIET) as c:
        yield c


@pytest.fixture
def client(cluster: Any) -> Iterator[Any]:
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as c:
        c.wait_for_workers(2, timeout=60)
        yield c


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """Good templates among damaged and refused ones: a truncated workbook, an empty file,
    a zip archive with a nested member, and a damaged archive."""
    box = tmp_path / "inbox"
    box.mkdir()
    shutil.copy(DEMO / "cmrt-6.5-product-scope.xlsx", box / "supplier-a.xlsx")
    data = (DEMO / "emrt-2.11-complete.xlsx").read_bytes()
    (box / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    (box / "empty.xlsx").write_bytes(b"")
    with zipfile.ZipFile(box / "batch.zip", "w") as z:
        z.write(DEMO / "crt-2.21-complete.xlsx", "crt.xlsx")
        z.write(DEMO / "amrt-1.31-complete.xlsx", "nested/amrt.xlsx")
        z.writestr("notes.txt", "not a template")
    (box / "damaged.zip").write_bytes(b"PK\x03\x04 and then nothing of a zip")
    return box


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its relative name; the manifest without what belongs
    to the run rather than to the outputs (its id and times)."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.name == ".mineral-compliance-manifest.json":
            manifest = json.loads(data)
            manifest["run"] = {k: v for k, v in manifest["run"].items()
                               if k not in ("id", "started", "finished")}
            data = json.dumps(manifest, sort_keys=True).encode()
        out[path.relative_to(folder).as_posix()] = data
    return out


def _printed(text: str, out: Path) -> list[str]:
    return [line.replace(str(out), "OUT") for line in text.splitlines()]


def test_a_cluster_writes_the_same_bytes_as_this_machine(
        cluster: Any, client: Any, inbox: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # the inbox is named relative to this folder, which is not the workers' own
    monkeypatch.chdir(tmp_path)
    assert all(Path(cwd) != tmp_path for cwd in client.run(os.getcwd).values())
    inputs = [str(DEMO), str(REFUSED), "inbox", "no/such/*.xlsx"]
    on_dask, here = tmp_path / "on-dask", tmp_path / "here"

    code = main(["consolidate", *inputs, "-o", str(on_dask), "--scheduler",
                 cluster.scheduler_address, "--no-progress"])
    dask_out = capsys.readouterr()
    assert main(["consolidate", *inputs, "-o", str(here), "--no-progress"]) == code == 2
    local_out = capsys.readouterr()

    assert _printed(dask_out.out, on_dask) == _printed(local_out.out, here)
    assert dask_out.err == local_out.err
    dask_files, local_files = _tree(on_dask), _tree(here)
    assert sorted(dask_files) == sorted(local_files)
    assert [n for n in dask_files if dask_files[n] != local_files[n]] == []

    files = {f["file"]: f for f in json.loads(dask_files["consolidation.json"])["files"]}
    unreadable = {name for name, f in files.items() if f["status"] == "unreadable"}
    assert unreadable == {*(str(p) for p in REFUSED.iterdir()), "no/such/*.xlsx",
                          "inbox/truncated.xlsx", "inbox/empty.xlsx", "inbox/damaged.zip"}
    assert all(files[name]["message"] for name in unreadable)
    assert files["inbox/supplier-a.xlsx"]["status"] != "unreadable"  # read by a worker
    assert files["inbox/batch.zip!nested/amrt.xlsx"]["status"] != "unreadable"


def test_a_campaign_ingest_on_the_cluster_stores_what_a_local_one_stores(
        cluster: Any, client: Any, inbox: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    from mineral_compliance.store import Campaign

    stores = {}
    for name, extra in (("dask", ["--scheduler", cluster.scheduler_address]), ("here", [])):
        url = f"sqlite:///{tmp_path / (name + '.db')}"
        assert main(["campaign", "init", "--db", url, "--name", "RY2026",
                     "--year", "2026"]) == 0
        code = main(["campaign", "ingest", "--db", url, str(DEMO), str(inbox),
                     "--no-progress", *extra])
        printed = capsys.readouterr()
        campaign = Campaign.open(url)
        stores[name] = (code, printed.out.replace(url, "URL"), printed.err,
                        campaign.consolidate()[0].model_dump(mode="json"))
        campaign.close()
    assert stores["dask"] == stores["here"]
    assert stores["here"][0] == 2  # the damaged inputs are named, the others stored


_REAL_LOAD = loading.load


def _killing_load(job: loading.Job) -> loading.Loaded:
    if job.label.endswith(KILLER):
        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
    return _REAL_LOAD(job)


def _patch_load() -> None:  # runs in each worker; its helpers hold the code they began with
    loading.load = _killing_load
    _isolation.close_helpers()


def _restore_load() -> None:
    loading.load = _REAL_LOAD
    _isolation.close_helpers()


def test_a_file_that_kills_its_process_on_a_worker_is_unreadable_with_the_reason(
        cluster: Any, client: Any, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    workers = client.run(os.getpid)
    client.run(_patch_load)  # the workers look the reading function up by its name
    try:
        code = main(["consolidate", str(DEMO), "-o", str(tmp_path / "out"), "--scheduler",
                     cluster.scheduler_address, "--no-progress"])
    finally:
        client.run(_restore_load)
    err = capsys.readouterr().err
    assert code == 2
    files = {Path(f["file"]).name: f for f in json.loads(
        (tmp_path / "out" / "consolidation.json").read_text())["files"]}
    assert len(files) == len(list(DEMO.glob("*.xlsx")))
    dead = files[KILLER]
    assert dead["status"] == "unreadable"
    assert "the worker process reading it was killed (SIGKILL" in dead["message"]
    assert f"unreadable: {DEMO / KILLER}: the worker process reading it was killed" in err
    assert [n for n, f in files.items() if f["status"] == "unreadable"] == [KILLER]
    assert client.run(os.getpid) == workers  # the Dask workers themselves carry on


def _limits_test(item: int) -> str:
    if item == 1:
        while True:  # a runaway loop: only the CPU limit ends it
            pass
    if item == 2:
        try:
            bytearray(2 * 1024**3)
        except MemoryError:
            return "out of memory"
        return "allocated"
    if item == 3:
        raise ValueError("a plain failure")
    return f"done {item}"


def test_the_per_file_limits_hold_on_the_workers(client: Any) -> None:
    limits = _isolation.WorkerLimits(cpu_seconds=1, memory_bytes=512 * 1024**2)
    executor = _isolation.IsolatedExecutor(client.get_executor(pure=False), limits)
    results = dict(_isolation.run_isolated(
        _limits_test, list(range(6)), executor=executor,
        on_death=lambda i, why: f"died {i}: {why}", on_error=lambda i, e: f"error {i}: {e}"))
    assert results == {
        0: "done 0",
        1: "died 1: reading it took more than the 1 s of CPU time allowed per file",
        2: "out of memory",  # the address-space cap, not the worker's memory
        3: "error 3: a plain failure",
        4: "done 4", 5: "done 5"}


def _kill_worker(item: int) -> str:
    if item == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    return f"done {item}"


def test_a_dask_worker_that_dies_costs_its_input_only(client: Any) -> None:
    """Without the per-file processes (a library user's plain ``client.get_executor()``),
    a worker that dies under an input is that input's death, said as Dask saw it."""
    results = dict(_isolation.run_isolated(
        _kill_worker, [0, 1], executor=client.get_executor(pure=False),
        on_death=lambda i, why: f"died {i}: {why}", on_error=lambda i, e: f"error {i}: {e}"))
    assert results[1] == "done 1"
    assert results[0].startswith("died 0: every Dask worker it was sent to died while reading "
                                 "it (the cluster's KilledWorker: ")
    client.wait_for_workers(2, timeout=60)  # the nanny starts another


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, address: str,
             *paths: str) -> str:
    """The one line a refused ``--scheduler`` prints; nothing is written."""
    out = tmp_path / "out"
    code = main(["consolidate", *(paths or [str(DEMO)]), "-o", str(out), "--scheduler",
                 address, "--no-progress"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == "" and not out.exists()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    return lines[0]


def test_no_scheduler_listening_is_said_within_the_timeout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(_common, "SCHEDULER_TIMEOUT", 2.0)
    address = f"tcp://127.0.0.1:{_free_port()}"
    start = time.monotonic()
    line = _refused(capsys, tmp_path, address)
    assert time.monotonic() - start < 30
    assert line.startswith(f"error: no Dask scheduler answered at {address} within 2 s (")
    assert "tcp://HOST:PORT" in line


def test_an_address_dask_cannot_use_is_said(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _refused(capsys, tmp_path, "carrier-pigeon://scheduler")
    assert line.startswith("error: 'carrier-pigeon://scheduler' is not a Dask scheduler's "
                           "address (unknown address scheme 'carrier-pigeon'")


def test_without_the_dask_extra_the_option_names_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    line = _refused(capsys, tmp_path, "tcp://127.0.0.1:8786")
    assert line == ("error: --scheduler needs Dask's distributed scheduler, which is not "
                    "installed (pip install 'mineral-compliance[dask]')")


def test_a_scheduler_without_workers_is_said(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(_common, "SCHEDULER_TIMEOUT", 2.0)
    with distributed.LocalCluster(host="127.0.0.1", n_workers=0, dashboard_address=None,
                                  **QUIET) as empty:
        line = _refused(capsys, tmp_path, empty.scheduler_address)
    assert line.startswith(f"error: the Dask scheduler at {empty.scheduler_address} has no "
                           "worker (none joined within 2 s)")


def _blind(paths: list[str]) -> tuple[str, list[str]]:  # a worker that sees no input
    return __version__, list(paths)


def _older(paths: list[str]) -> tuple[str, list[str]]:  # a worker with another release
    return "0.0.1", []


_REAL_PROBE = _isolation.probe


def _patch_probe(probe: Any) -> None:  # runs in each worker
    _isolation.probe = probe


def test_workers_that_cannot_read_the_inputs_are_refused_before_reading(
        cluster: Any, client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    address = cluster.scheduler_address
    client.run(_patch_probe, _blind)
    try:
        blind = _refused(capsys, tmp_path, address, str(DEMO), str(REFUSED / "*.xlsx"))
        client.run(_patch_probe, _older)
        older = _refused(capsys, tmp_path, address)
    finally:
        client.run(_patch_probe, _REAL_PROBE)
    assert blind.startswith("error: the Dask worker tcp://127.0.0.1:")
    assert blind.endswith(f" cannot read {DEMO} (and 1 more named) (the inputs must be on a "
                          "path every worker shares, at the same place as here (an NFS or SMB "
                          "mount, for instance))")
    assert " runs mineral-compliance 0.0.1, this is " in older
    assert older.endswith("(install the same version on every worker: the outputs depend on "
                          "it)")


_MARKER: list[Path] = []


def _slow_load(job: loading.Job) -> loading.Loaded:
    if job.label.endswith(KILLER):
        _MARKER[0].touch()  # the run has begun: the test may take the scheduler away
        time.sleep(120)
    return _REAL_LOAD(job)


def _patch_slow(marker: str) -> None:  # runs in each worker
    _MARKER[:] = [Path(marker)]
    loading.load = _slow_load
    _isolation.close_helpers()


@contextmanager
def _separate_cluster(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A scheduler and one worker, each a process of its own as on a real cluster (so that
    the scheduler can be killed): its address and the scheduler's process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    address_file = tmp_path / "scheduler.json"
    log = (tmp_path / "cluster.log").open("wb")
    started = []
    try:
        started.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", "0", "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
             "--scheduler-file", str(address_file)], env=env, stdout=log, stderr=log))
        deadline = time.monotonic() + 60
        while not (address_file.exists() and address_file.stat().st_size):
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.1)
        address = json.loads(address_file.read_text())["address"]
        started.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1",
             "--nthreads", "1", "--no-dashboard", "--local-directory", str(tmp_path)],
            env=env, stdout=log, stderr=log))
        yield address, started[0]
    finally:
        for proc in reversed(started):
            proc.kill()
            proc.wait(timeout=30)
        log.close()


def test_a_scheduler_lost_during_the_run_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker, out = tmp_path / "begun", tmp_path / "out"
    with _separate_cluster(tmp_path) as (address, scheduler):
        with distributed.Client(address, set_as_default=False) as c:
            c.wait_for_workers(1, timeout=60)
            c.run(_patch_slow, str(marker))

        def take_it_away() -> None:
            deadline = time.monotonic() + 120
            while not marker.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            scheduler.kill()

        threading.Thread(target=take_it_away, daemon=True).start()
        start = time.monotonic()
        code = main(["consolidate", str(DEMO), "-o", str(out), "--scheduler", address,
                     "--no-progress"])
        took = time.monotonic() - start
    captured = capsys.readouterr()
    assert marker.exists() and code == 2 and not out.exists()
    assert took < 60  # not the 120 s the file would take, nor a wait for the scheduler
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err  # no traceback from Dask's reconnection attempts
    assert lines[0].startswith(f"error: the Dask scheduler at {address} went away during the "
                               "run (")
    assert lines[0].endswith(" not read); nothing was written (run the command again once the "
                             "cluster is back)")
