"""``--threads N`` / ``trainer.threads``: one cap on torch, the BLAS/OpenMP pools and DuckDB.

The cap is global to a process, so each check runs in a fresh one."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT, cli

from dec.utils import threads


def _in_a_fresh_process(code: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


MEASURE = """
import json, torch
import sklearn.cluster  # its OpenMP runtime, loaded after the cap
from threadpoolctl import threadpool_info
from dec.data.logs.read import connection
with connection() as db:
    duckdb_threads = db.execute("SELECT current_setting('threads')").fetchone()[0]
print(json.dumps({"torch": torch.get_num_threads(),
                  "pools": sorted({p["num_threads"] for p in threadpool_info()}),
                  "duckdb": int(duckdb_threads)}))
"""


def test_one_cap_reaches_torch_the_blas_and_openmp_pools_and_duckdb():
    pytest.importorskip("duckdb")
    capped = _in_a_fresh_process(
        "from dec.utils.threads import cap_threads; cap_threads(1)\n" + MEASURE
    )
    assert capped == {"torch": 1, "pools": [1], "duckdb": 1}


def test_the_flag_of_a_command_caps_what_it_loads_afterwards():
    """A command reads its flags before it imports torch or scikit-learn (``features``
    never does): the cap still reaches both, and the flags load neither."""
    pytest.importorskip("duckdb")
    code = (
        "import sys\n"
        "from dec.cli.common import Parser, threads_arg\n"
        "parser = Parser(); threads_arg(parser); parser.parse_args(['--threads', '1'])\n"
        "assert 'torch' not in sys.modules and 'sklearn' not in sys.modules\n"
    )
    assert _in_a_fresh_process(code + MEASURE) == {"torch": 1, "pools": [1], "duckdb": 1}


def test_automatic_is_the_cpus_this_process_may_use_at_most_torchs_own_choice():
    found = _in_a_fresh_process(
        "import json, torch\n"
        "own = torch.get_num_threads()\n"
        "from dec.utils.threads import available_cpus, cap_threads\n"
        "print(json.dumps({'own': own, 'cap': cap_threads(0), 'cpus': available_cpus(),\n"
        "                  'torch': torch.get_num_threads()}))\n"
    )
    assert found["cap"] == found["torch"] == min(found["own"], found["cpus"]) >= 1


def test_a_container_quota_lowers_the_automatic_count(tmp_path, monkeypatch):
    quota = tmp_path / "cpu.max"
    monkeypatch.setattr(threads, "CPU_MAX", str(quota))
    quota.write_text("150000 100000\n")  # a container given 1.5 CPUs
    assert threads.available_cpus() == 1
    quota.write_text("max 100000\n")  # no quota: the affinity alone
    assert threads.available_cpus() >= 1 and threads._cgroup_quota() is None


@pytest.mark.parametrize(
    "command, value, said",
    [
        ("train", "-1", "trainer.threads must be 0 (automatic) or a number of threads up to 1024"),
        ("train", "1000000000", "number of threads up to 1024"),
        ("train", "99999999999999999999", "number of threads up to 1024"),
        ("test", "many", "expected 0 (automatic) or a number of threads up to 1024, got 'many'"),
        ("test", "1000000000", "got '1000000000'"),
        ("features", "²", "got '²'"),
    ],
)
def test_a_bad_thread_count_is_one_line_before_anything_is_written(
    command, value, said, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    code, err = cli(command, "--threads", value, capsys=capsys)
    assert code == 2 and said in err and len(err.strip().splitlines()) == 1, err
    assert list(tmp_path.iterdir()) == []


def test_more_threads_than_cpus_are_all_of_them():
    found = _in_a_fresh_process(
        "import json, torch\n"
        "from dec.utils.threads import available_cpus, cap_threads\n"
        "print(json.dumps({'cap': cap_threads(1024), 'cpus': available_cpus(),\n"
        "                  'torch': torch.get_num_threads()}))\n"
    )
    assert found["cap"] == found["torch"] == found["cpus"]


def test_a_busy_machine_is_told_once_that_fewer_threads_may_run_faster():
    code = (
        "import json, logging, os\n"
        "records = []\n"
        "logging.getLogger('dec').addHandler(logging.Handler())\n"
        "logging.getLogger('dec').handlers[-1].emit = lambda r: records.append(r.getMessage())\n"
        "from dec.utils.threads import available_cpus, cap_threads\n"
        "os.getloadavg = lambda: (0.0, 0.0, 0.0)\n"
        "cap_threads(0)\n"
        "idle = list(records)\n"
        "os.getloadavg = lambda: (available_cpus() + 0.5, 0.0, 0.0)\n"
        "cap = cap_threads(0); cap_threads(0)\n"
        "print(json.dumps({'idle': idle, 'busy': records, 'cap': cap}))\n"
    )
    found = _in_a_fresh_process(code)
    assert found["idle"] == []
    if found["cap"] == 1:
        pytest.skip("one CPU: there is no smaller cap to suggest")
    assert len(found["busy"]) == 1 and "--threads 1" in found["busy"][0]
    assert "may run several times faster" in found["busy"][0]
