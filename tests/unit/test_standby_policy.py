"""Standbys only while a core is free: at one job per core they compete with the runs they should speed up."""

import pytest

from harness.host.backends import standby


@pytest.mark.parametrize(
    ("cores", "jobs", "warm"), [(2, 1, True), (2, 2, False), (2, 3, False), (4, 2, True), (1, 1, False)]
)
def test_standbys_are_kept_only_below_one_job_per_core(monkeypatch, cores, jobs, warm):
    monkeypatch.setattr(standby, "available_cores", lambda: cores)
    assert not standby.STANDBYS.enabled
    with standby.keep_warm_below_cores(jobs):
        assert standby.STANDBYS.enabled is warm
    assert not standby.STANDBYS.enabled


def test_available_cores_counts_this_process_affinity(monkeypatch):
    """A grader pinned to 1 core of a large machine (taskset, a container's cpuset) runs 1 job without standbys."""
    monkeypatch.setattr(standby.os, "sched_getaffinity", lambda pid: {3}, raising=False)
    monkeypatch.setattr(standby.os, "cpu_count", lambda: 64)
    assert standby.available_cores() == 1


def test_a_dask_worker_keeps_standbys_only_below_its_threads_per_core():
    """A Dask worker grades ``nthreads`` tasks at once: that, not 1, decides whether it keeps a standby."""
    distributed = pytest.importorskip("distributed")
    from harness.host.batch import cluster_task

    assert cluster_task._worker_threads() == 1  # not in a worker
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=3, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert client.submit(cluster_task._worker_threads, pure=False).result() == 3
