"""Candidate code in the container cannot reach the network, write outside /tmp, read secrets or signal the grader.

One grading run of a hostile submission serves all the tests of this module:
each attack is a check whose grader-side assertion fails if the attack got
through, and the submission prints what it saw, so a failure here quotes it.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.docker

SECRET = "SECRET-c0ffee-5a1t"  # planted in hidden checks, a solution and a mutant on the host
CONTROL = "CONTROL-visible-7e1"  # planted in the submission, which the candidate may read

SUBMISSION = '''
    import os, signal, socket

    def outbound():
        """Try to open connections out of the container."""
        outcomes = {}
        for host, port in (("1.1.1.1", 80), ("8.8.8.8", 53), ("deb.debian.org", 80), ("pypi.org", 443)):
            try:
                socket.create_connection((host, port), timeout=3).close()
                outcomes[f"{host}:{port}"] = "connected"
            except OSError as error:
                outcomes[f"{host}:{port}"] = f"{type(error).__name__}: {error}"
            print(f"connect {host}:{port} -> {outcomes[f'{host}:{port}']}")
        return outcomes

    WRITE_TARGETS = ["/escape.txt", "/etc/escape.txt", "/etc/passwd", "/etc/hosts", "/root/escape.txt",
                     "/opt/venv/escape.txt", "/opt/grader/harness/escape.py", "/submission/escape.txt",
                     "/grader/escape.txt", "/results/escape.txt", "/var/tmp/escape.txt", "/dev/shm/escape.txt",
                     "/run/escape.txt", "/usr/lib/python3.11/os.py"]

    def write_outside_tmp():
        """Try to write files everywhere but /tmp, and once in /tmp."""
        outcomes = {}
        for path in WRITE_TARGETS + ["/tmp/allowed.txt"]:
            try:
                with open(path, "a") as handle:
                    handle.write("x")
                outcomes[path] = "written"
            except OSError as error:
                outcomes[path] = f"{type(error).__name__}: {error.strerror}"
            print(f"write {path} -> {outcomes[path]}")
        return outcomes

    def read_secrets(secret, control):
        """Open the grader's files and results, then scan every readable file for the secret."""
        opened = {}
        for path in ("/grader/test_hidden.py", "/grader/test_public.py", "/grader/exercise.toml",
                     "/results/result.json", "/results/result.partial"):
            try:
                with open(path) as handle:
                    handle.read()
                opened[path] = "read"
            except OSError as error:
                opened[path] = f"{type(error).__name__}: {error.strerror}"
            print(f"open {path} -> {opened[path]}")
        for folder in ("/grader", "/results"):
            try:
                opened[folder] = f"listed {os.listdir(folder)}"
            except OSError as error:
                opened[folder] = f"{type(error).__name__}: {error.strerror}"
            print(f"list {folder} -> {opened[folder]}")
        found = {"secret": [], "control": [], "solution_or_mutant_names": []}
        skip = ("/proc", "/sys", "/dev", "/usr", "/opt/venv", "/var/lib/dpkg")
        for folder, subfolders, files in os.walk("/", onerror=lambda error: None):
            subfolders[:] = [name for name in subfolders if os.path.join(folder, name) not in skip]
            for name in files:
                path = os.path.join(folder, name)
                if name.lower().startswith("solution") or "/mutants/" in path or "/solutions/" in path:
                    found["solution_or_mutant_names"].append(path)
                try:
                    if os.path.islink(path) or os.path.getsize(path) > 2_000_000:
                        continue
                    with open(path, "rb") as handle:
                        data = handle.read()
                except OSError:
                    continue
                if secret.encode() in data:
                    found["secret"].append(path)
                if control.encode() in data:
                    found["control"].append(path)
        print(f"scan -> {found}")
        return {"opened": opened, "found": found}

    def signal_grader():
        """Try to signal the grader (our parent) and the container's init, and to become root."""
        outcomes = {}
        grader = os.getppid()
        with open(f"/proc/{grader}/status") as handle:
            uid_line = next(line for line in handle if line.startswith("Uid:"))
        outcomes["grader uid"] = uid_line.split()[1]
        for target, pid in (("grader", grader), ("init", 1)):
            for sig in (signal.SIGKILL, signal.SIGSTOP, signal.SIGTERM):
                key = f"kill({target}={pid}, {sig.name})"
                try:
                    os.kill(pid, sig)
                    outcomes[key] = "delivered"
                except OSError as error:
                    outcomes[key] = f"{type(error).__name__}: {error.strerror}"
        for path in (f"/proc/{grader}/environ", f"/proc/{grader}/mem"):
            try:
                open(path, "rb").close()
                outcomes[f"open {path}"] = "opened"
            except OSError as error:
                outcomes[f"open {path}"] = f"{type(error).__name__}: {error.strerror}"
        try:
            os.setuid(0)
            outcomes["setuid(0)"] = "became root"
        except OSError as error:
            outcomes["setuid(0)"] = f"{type(error).__name__}: {error.strerror}"
        try:
            os.kill(-1, signal.SIGKILL)   # every process we may signal, except ourselves
            outcomes["kill(-1)"] = "sent"
        except OSError as error:
            outcomes["kill(-1)"] = f"{type(error).__name__}: {error.strerror}"
        for key, value in outcomes.items():
            print(f"{key} -> {value}")
        return outcomes

    def identity():
        with open("/proc/self/status") as handle:
            status = dict(line.split(":", 1) for line in handle if ":" in line)
        return {"uid": os.getuid(), "groups": os.getgroups(), "cap_eff": status["CapEff"].strip(),
                "cap_prm": status["CapPrm"].strip(), "no_new_privs": status["NoNewPrivs"].strip()}

    def plant():
        """Leave a module and a Keras configuration in /tmp for the grader to pick up."""
        with open("/tmp/planted_by_candidate.py", "w") as handle:
            handle.write("PLANTED = True\\n")
        os.makedirs("/tmp/.keras", exist_ok=True)
        with open("/tmp/.keras/keras.json", "w") as handle:
            handle.write('{"floatx": "float16", "backend": "jax"}')
        return sorted(os.listdir("/tmp"))

    def alive():
        return "still here"
'''

CHECKS = '''
    import os

    @pytest.mark.points(1)
    def test_network(submission):
        outcomes = submission.outbound()
        assert all(value != "connected" for value in outcomes.values()), outcomes

    @pytest.mark.points(1)
    def test_writes(submission):
        outcomes = submission.write_outside_tmp()
        written = [path for path, value in outcomes.items() if value == "written" and path != "/tmp/allowed.txt"]
        assert not written, f"wrote outside /tmp: {written}"
        assert outcomes["/tmp/allowed.txt"] == "written", outcomes

    @pytest.mark.points(1)
    def test_secrets(submission):
        report = submission.read_secrets("SECRET_VALUE", "CONTROL_VALUE")
        read = [path for path, value in report["opened"].items() if value == "read" or value.startswith("listed")]
        assert not read, f"read {read}"
        assert not report["found"]["secret"], report["found"]
        assert not report["found"]["solution_or_mutant_names"], report["found"]
        assert report["found"]["control"], "the scan did not even find the submission's own marker"

    @pytest.mark.points(1)
    def test_signals(submission):
        outcomes = submission.signal_grader()
        assert outcomes["grader uid"] == "0", outcomes
        got_through = [key for key, value in outcomes.items()
                       if value in ("delivered", "opened", "became root")]
        assert not got_through, f"got through: {got_through}"

    @pytest.mark.points(1)
    def test_identity(submission):
        found = submission.identity()
        assert found["uid"] == 1001 and found["groups"] == [], found
        assert found["cap_eff"] == found["cap_prm"] == "0000000000000000", found
        assert found["no_new_privs"] == "1", found

    @pytest.mark.points(1)
    def test_planted_files(submission):
        import importlib
        assert "planted_by_candidate.py" in submission.plant()
        try:
            importlib.import_module("planted_by_candidate")
            imported = True
        except ModuleNotFoundError:
            imported = False
        assert not imported, "the grader imported a module the candidate wrote to /tmp"
        assert os.path.expanduser("~") != "/tmp" and os.getcwd() != "/tmp", (os.path.expanduser("~"), os.getcwd())

    @pytest.mark.points(1)
    def test_grader_survived(submission):
        """The grader and the same worker still answer after the attacks."""
        assert submission.alive() == "still here"
        assert os.getuid() == 0
'''

HIDDEN_CHECKS = """
    # SECRET_VALUE: the candidate must never read this file.

    @pytest.mark.points(1)
    def test_hidden_check_ran(submission):
        assert submission.alive() == "still here"
"""


@pytest.fixture(scope="module")
def containment(docker_backend, run_writer, tmp_path_factory):
    """Run the hostile submission once; return the result's checks by name and the whole RunOutput."""
    request = run_writer(
        tmp_path_factory.mktemp("containment"),
        checks=CHECKS.replace("SECRET_VALUE", SECRET).replace("CONTROL_VALUE", CONTROL),
        hidden_checks=HIDDEN_CHECKS.replace("SECRET_VALUE", SECRET),
        submission=SUBMISSION,
        include_hidden=True,
        grader_files={"solution.py": f"# {SECRET}\n", "mutants/wrong_loss.py": f"# {SECRET}\n"},
        submission_files={"notes.txt": CONTROL},
    )
    output = docker_backend.run(request)
    assert output.result is not None, f"no result: {output.failure}\n{output.log}"
    return {test["check_id"].split("::")[-1]: test for test in output.result["tests"]}, output


def _assert_contained(check: dict) -> None:
    assert check["outcome"] == "passed", (
        f"{check['check_id']}: {check['output']}\nwhat the submission saw:\n{check['candidate_output']}"
    )


def test_outbound_connections_fail(containment, docker_backend):
    check = containment[0]["test_network"]
    _assert_contained(check)
    assert "Network is unreachable" in check["candidate_output"] or "Name or service" in check["candidate_output"]


def test_writing_outside_tmp_fails(containment, docker_backend):
    check = containment[0]["test_writes"]
    _assert_contained(check)
    assert "write /etc/escape.txt -> OSError: Read-only file system" in check["candidate_output"]


def test_hidden_checks_results_and_solutions_cannot_be_read(containment, docker_backend):
    check = containment[0]["test_secrets"]
    _assert_contained(check)
    assert "open /grader/test_hidden.py -> PermissionError: Permission denied" in check["candidate_output"]
    assert "list /results -> PermissionError: Permission denied" in check["candidate_output"]


def test_hidden_checks_still_run_for_the_grader(containment, docker_backend):
    _assert_contained(containment[0]["test_hidden_check_ran"])


def test_candidate_cannot_signal_the_grader(containment, docker_backend):
    check = containment[0]["test_signals"]
    _assert_contained(check)
    assert "Operation not permitted" in check["candidate_output"]
    _assert_contained(containment[0]["test_grader_survived"])


def test_grader_ignores_modules_and_settings_planted_in_tmp(containment, docker_backend):
    _assert_contained(containment[0]["test_planted_files"])


def test_worker_runs_as_candidate_without_capabilities(containment, docker_backend):
    _assert_contained(containment[0]["test_identity"])


def test_whole_run_is_clean(containment, docker_backend):
    checks, output = containment
    assert output.failure is None, output.failure
    assert output.result["status"] == "pass", {name: check["output"] for name, check in checks.items()}
    assert output.image == docker_backend.image
