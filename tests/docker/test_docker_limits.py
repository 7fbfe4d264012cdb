"""Fork bombs, memory hogs and endless sleeps are stopped in the container, and the run still completes."""

from __future__ import annotations

import time
from textwrap import dedent

import pytest

from harness.host.backends import base

pytestmark = pytest.mark.docker

ALIVE = """
    def alive():
        return "still here"
"""

AFTER_CHECK = '''
    @pytest.mark.points(1)
    def test_zz_after(submission):
        """The grader goes on with a worker that answers."""
        assert submission.alive() == "still here"
'''


def _outcomes(output) -> dict[str, dict]:
    assert output.result is not None, f"no result: {output.failure}\n{output.log}"
    return {test["check_id"].split("::")[-1]: test for test in output.result["tests"]}


def test_fork_bomb_hits_the_pids_limit(docker_backend, make_run):
    request = make_run(
        submission=dedent('''
            import os, time

            def fork_bomb():
                """Fork forever in every process; each says once when the kernel refuses."""
                told = False
                while True:
                    try:
                        os.fork()
                    except OSError as error:
                        if not told:
                            print(f"pid {os.getpid()}: {type(error).__name__}: {error}", flush=True)
                            told = True
                        time.sleep(0.01)
        ''')
        + dedent(ALIVE),
        checks=dedent("""
            @pytest.mark.points(1)
            def test_fork_bomb(submission):
                submission.fork_bomb()
        """)
        + dedent(AFTER_CHECK),
    )
    output = docker_backend.run(request)
    checks = _outcomes(output)
    bomb = checks["test_fork_bomb"]
    assert bomb["outcome"] == "timeout", f"{bomb['outcome']}: {bomb['output']}"
    assert "BlockingIOError: [Errno 11] Resource temporarily unavailable" in bomb["candidate_output"], (
        f"no process of the bomb reported hitting the pids limit:\n{bomb['candidate_output']}"
    )
    assert checks["test_zz_after"]["outcome"] == "passed", checks["test_zz_after"]["output"]
    assert output.failure is None, output.failure  # ended by the call's budget, not by the wall-clock limit


def test_memory_hogs_are_reported_out_of_memory(docker_backend, make_run):
    request = make_run(
        memory_mb=256,
        submission=dedent('''
            def slow_hog():
                """Grow by 20 MB at a time, touching every page."""
                chunks = []
                for _ in range(500):
                    chunks.append(b"x" * (20 * 2**20))
                return len(chunks)

            def fast_hog():
                """Touch 3 GB in one go, faster than the worker's memory watch polls."""
                return len(b"x" * (3 * 2**30))

            def huge_request():
                return len(bytearray(10**12))
        ''')
        + dedent(ALIVE),
        checks=dedent("""
            @pytest.mark.points(1)
            def test_slow_hog(submission):
                submission.slow_hog()

            @pytest.mark.points(1)
            def test_fast_hog(submission):
                submission.fast_hog()

            @pytest.mark.points(1)
            def test_huge_request(submission):
                submission.huge_request()
        """)
        + dedent(AFTER_CHECK),
    )
    output = docker_backend.run(request)
    checks = _outcomes(output)
    for name in ("test_slow_hog", "test_fast_hog", "test_huge_request"):
        assert checks[name]["outcome"] == "out_of_memory", (
            f"{name}: {checks[name]['outcome']}: {checks[name]['output']}"
        )
        assert "memory" in checks[name]["output"], checks[name]["output"]
    assert checks["test_zz_after"]["outcome"] == "passed", checks["test_zz_after"]["output"]
    assert output.failure is None


def test_memory_spread_over_processes_is_capped_by_the_container(docker_backend, make_run):
    """Each child stays under the worker's limit; the container's limit stops them, candidate processes first."""
    request = make_run(
        memory_mb=256,
        call_deadline=60,
        submission=dedent("""
            import os, signal, time

            def spread_hog():
                children = []
                for _ in range(16):
                    pid = os.fork()
                    if pid == 0:
                        block = b"x" * (200 * 2**20)
                        time.sleep(5)
                        os._exit(0)
                    children.append(pid)
                statuses = [os.waitpid(pid, 0)[1] for pid in children]
                killed = sum(os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL for status in statuses)
                print(f"{killed} of {len(children)} children were killed")
                return killed
        """)
        + dedent(ALIVE),
        checks=dedent("""
            @pytest.mark.points(1)
            def test_spread_hog(submission):
                assert submission.spread_hog() == 0, "some children were killed"
        """)
        + dedent(AFTER_CHECK),
    )
    assert docker_backend.memory_limit_mb(request) < 16 * 200
    output = docker_backend.run(request)
    checks = _outcomes(output)
    hog = checks["test_spread_hog"]
    assert hog["outcome"] == "failed" and "children were killed" in hog["candidate_output"], hog
    assert not hog["candidate_output"].startswith("0 of"), hog["candidate_output"]
    assert checks["test_zz_after"]["outcome"] == "passed", checks["test_zz_after"]["output"]
    assert output.failure is None


def test_endless_sleep_is_stopped_as_idle(docker_backend, make_run):
    request = make_run(
        call_deadline=3,
        submission=dedent("""
            import time

            def nap():
                time.sleep(10**6)
        """)
        + dedent(ALIVE),
        checks=dedent("""
            @pytest.mark.points(1)
            def test_nap(submission):
                submission.nap()
        """)
        + dedent(AFTER_CHECK),
    )
    started = time.monotonic()
    output = docker_backend.run(request)
    elapsed = time.monotonic() - started
    checks = _outcomes(output)
    assert checks["test_nap"]["outcome"] == "timeout", checks["test_nap"]
    assert "without computing" in checks["test_nap"]["output"], checks["test_nap"]["output"]
    assert checks["test_zz_after"]["outcome"] == "passed", checks["test_zz_after"]["output"]
    assert elapsed < 120, f"the run took {elapsed:.1f} s for a 3 s deadline"  # not the 30 s backstop + margin


def test_hanging_run_is_killed_at_the_wall_clock_limit(docker_backend, make_run, monkeypatch):
    monkeypatch.setattr(base, "STARTUP_MARGIN_SECONDS", 3.0)
    request = make_run(
        time_budget=5,
        wall=(1, 0),
        submission=ALIVE,
        checks=dedent("""
            import time

            @pytest.mark.points(1)
            def test_grader_hangs(submission):
                time.sleep(10**6)   # a grader bug: only the container's wall clock can stop this
        """),
    )
    assert request.wall_timeout_seconds == 8
    started = time.monotonic()
    output = docker_backend.run(request)
    elapsed = time.monotonic() - started
    assert output.result is None
    assert "wall-clock limit of 8 s" in (output.failure or ""), output.failure
    assert elapsed < 90, f"the run took {elapsed:.1f} s for an 8 s wall-clock limit"  # far below 30 min
