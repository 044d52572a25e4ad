"""Python filter functions (docs/filters.md "Python functions"): hostile functions are stopped
and disabled with a recorded reason while `lantern run` goes on and a well-behaved function in
the same run delivers its matches; the kernel sandbox holds even where the audit hook is
bypassed (ctypes); `lantern filter test --python` agrees with the local runner."""
import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON_DIR = os.path.join(REPO, "python")

GOOD = '''
def filter(alert):
    mag = alert.candidate.get("magpsf")
    if mag is not None and mag < 19:
        return {"mag": round(mag, 3), "n": len(alert.lightcurve)}
    return False
'''

# name → (source, text the disabled reason must contain)
HOSTILE = {
    "raise": ("def filter(a):\n    raise ValueError('boom')\n", "ValueError: boom"),
    "exit": ("import sys\ndef filter(a):\n    sys.exit(3)\n", "sys.exit(3)"),
    "abort": ("import os\ndef filter(a):\n    os.abort()\n", "SIGABRT"),
    "segfault": ("import ctypes\ndef filter(a):\n    ctypes.string_at(0)\n", "SIGSEGV"),
    "hang": ("def filter(a):\n    while True:\n        pass\n", "wall-clock limit of 3000 ms"),
    "sleep": ("import time\ndef filter(a):\n    time.sleep(3600)\n", "wall-clock limit"),
    "memory": ("def filter(a):\n    x = []\n    while True:\n"
               "        x.append(bytearray(32 << 20))\n", "memory limit"),
    "socket_local": ("import socket\ndef filter(a):\n    try:\n"
                     "        socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
                     "    except OSError:\n        pass\n    return True\n", "network access"),
    "socket_external": ("import socket\ndef filter(a):\n"
                        "    socket.create_connection(('93.184.216.34', 80), timeout=1)\n",
                        "network access"),
    "read_outside": ("def filter(a):\n    return bool(open(%r).read())\n"
                     % "/work/shared/data/README.md",
                     "opened /work/shared/data/README.md for reading"),
    "write_usr": ("def filter(a):\n    open('/usr/x', 'w')\n", "opened /usr/x for writing"),
    "write_etc": ("def filter(a):\n    open('/etc/x', 'w').write('x')\n",
                  "opened /etc/x for writing"),
    "fork": ("import os\ndef filter(a):\n    for _ in range(1000):\n        os.fork()\n",
             "tried to start a process"),
    "subprocess": ("import subprocess\ndef filter(a):\n    subprocess.run(['ls'])\n",
                   "tried to start a process"),
    "bad_return": ("def filter(a):\n    return 'yes'\n", "filter returned str"),
}

# Bypasses the audit hook with ctypes: nothing names the attempt, so the function is not
# disabled; what it reports shows that the kernel refused (-1) and that nothing outside the
# sandbox is visible.
CONTAINED = '''
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def filter(alert):
    return {"socket": libc.socket(2, 1, 0), "fork": libc.fork(),
            "work": os.path.exists("/work"), "home": os.path.exists("/home"),
            "root": os.path.exists("/root"), "etc_passwd": os.path.exists("/etc/passwd"),
            "uid": os.getuid(), "tmp_writable": os.access("/tmp", os.W_OK),
            "usr_writable": os.access("/usr", os.W_OK)}
'''


def run(*args, check=True, env=None, **kw):
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          env=env, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def alerts(data_dir):
    return os.path.join(data_dir, "ztf", "alerts", "native", "ampel-ztf")


def add(lantern, d, tmp_path, name, source, *extra):
    f = tmp_path / f"{name}.py"
    f.write_text(source)
    return run(lantern, "filter", "add", "--data-dir", d, "--owner", "t", "--name", name,
               "--python", f, *extra)


def wire_alerts(lantern, alerts):
    out = run(lantern, "filter", "alerts", alerts).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_hostile_functions_disabled_pipeline_continues(lantern, alerts, tmp_path):
    d = str(tmp_path / "data")
    add(lantern, d, tmp_path, "good", GOOD, "--mode", "lite")
    add(lantern, d, tmp_path, "contained", CONTAINED)
    for name, (source, _) in HOSTILE.items():
        add(lantern, d, tmp_path, name, source)
    p = run(lantern, "run", "--source", "files:" + alerts, "--data-dir", d,
            "--python-timeout-ms", "3000", "--python-memory-mb", "512", timeout=300)
    listed = {f["name"]: f for f in json.loads(
        run(lantern, "filter", "list", "--json", "--data-dir", d).stdout)}
    for name, (_, reason) in HOSTILE.items():
        got = listed[name].get("disabled_reason", "")
        assert reason in got, f"{name}: disabled_reason {got!r} lacks {reason!r}"
        assert f"filter t.{name} disabled" in p.stderr
        # The run's summary names it too.
        summary = [line for line in p.stderr.splitlines() if line.startswith(f"  filter t.{name}:")]
        assert len(summary) == 1 and "; disabled: " in summary[0], p.stderr
    assert "disabled_reason" not in listed["good"]
    assert "disabled_reason" not in listed["contained"]
    text = run(lantern, "filter", "list", "--data-dir", d).stdout
    assert "\tdisabled\t" in text and "SIGSEGV" in text

    # The well-behaved function delivered exactly its matches, with annotation and light curve.
    expected = {a["alertId"] for a in wire_alerts(lantern, alerts)
                if a["alert"]["candidate"].get("magpsf") is not None
                and a["alert"]["candidate"]["magpsf"] < 19}
    assert expected
    res = run(lantern, "filter", "results", "t", "good", "--data-dir", d, "--limit", "100000")
    messages = [json.loads(line) for line in res.stdout.splitlines()]
    assert {m["alertId"] for m in messages} == expected
    for m in messages:
        assert m["annotation"]["mag"] < 19 and m["annotation"]["n"] == len(m["lightcurve"]) > 0
        assert m["objectId"].startswith("ZTF") and "UTC" in m

    # The kernel refused what the audit hook could not see.
    res = run(lantern, "filter", "results", "t", "contained", "--data-dir", d, "--limit", "5")
    messages = [json.loads(line) for line in res.stdout.splitlines()]
    assert messages
    for m in messages:
        assert m["annotation"] == {"socket": -1, "fork": -1, "work": False, "home": False,
                                   "root": False, "etc_passwd": False, "uid": 65534,
                                   "tmp_writable": True, "usr_writable": False}

    # A disabled filter is applied again after unmute (and fails again, recorded again).
    run(lantern, "filter", "unmute", "t", "raise", "--data-dir", d)
    shown = json.loads(run(lantern, "filter", "show", "t", "raise", "--data-dir", d).stdout)
    assert "disabled_reason" not in shown and shown["kind"] == "python"


def test_filter_test_reports_the_reason(lantern, alerts, tmp_path):
    cases = [("hang", ["--timeout-ms", "1000"], "wall-clock limit of 1000 ms"),
             ("memory", ["--memory-mb", "256"], "memory limit"),
             ("read_outside", [], "for reading"),
             ("raise", [], "ValueError: boom")]
    for name, extra, reason in cases:
        f = tmp_path / f"{name}.py"
        f.write_text(HOSTILE[name][0])
        p = run(lantern, "filter", "test", "--python", f, alerts, *extra, check=False,
                timeout=120)
        assert p.returncode == 1 and "disabled" in p.stderr and reason in p.stderr, p.stderr
    # A print goes to stderr, not into the protocol.
    f = tmp_path / "printer.py"
    f.write_text("def filter(a):\n    print('hello from the filter')\n    return True\n")
    p = run(lantern, "filter", "test", "--python", f, alerts)
    assert len(p.stdout.splitlines()) == 163


def test_add_refuses_broken_source(lantern, tmp_path):
    d = str(tmp_path / "data")
    f = tmp_path / "syntax.py"
    f.write_text("def filter(a)\n    return True\n")
    p = run(lantern, "filter", "add", "--data-dir", d, "--owner", "t", "--name", "s",
            "--python", f, check=False)
    assert p.returncode == 2 and "SyntaxError" in p.stderr
    f.write_text("def other(a):\n    return True\n")
    p = run(lantern, "filter", "add", "--data-dir", d, "--owner", "t", "--name", "s",
            "--python", f, check=False)
    assert p.returncode == 2 and "does not define a function filter(alert)" in p.stderr
    f.write_text(HOSTILE["read_outside"][0].replace("def filter(a):\n    return", "x ="))
    p = run(lantern, "filter", "add", "--data-dir", d, "--owner", "t", "--name", "s",
            "--python", f, check=False)
    assert p.returncode == 2 and "sandbox violation" in p.stderr


REALISTIC = '''
def filter(alert):
    lc = alert.lightcurve
    if len(lc) < 2:
        return False
    span = max(lc.mjd) - min(lc.mjd)
    bands = sorted(set(lc.band))
    if alert["ncand"] >= 2 and alert.candidate["rb"] > 0.8:
        return {"span_days": round(span, 6), "bands": bands, "ndet": len(lc)}
    return span > 10
'''


@pytest.mark.parametrize("python", [sys.executable, "/usr/bin/python3"])
def test_local_runner_agrees_with_lantern(lantern, alerts, tmp_path, python):
    if not os.access(python, os.X_OK):
        pytest.skip(f"{python} missing")
    f = tmp_path / "realistic.py"
    f.write_text(REALISTIC)
    sandboxed = run(lantern, "filter", "test", "--python", f, alerts)
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    local = run(python, "-m", "lantern_filter.run", f, alerts, "--lantern", lantern, env=env)
    got = [json.loads(line) for line in sandboxed.stdout.splitlines()]
    want = [json.loads(line) for line in local.stdout.splitlines()]
    assert got == want
    assert any(g["annotation"] for g in got) and any(g["annotation"] is None for g in got)
    # The same from a JSON-lines file written by `lantern filter alerts`.
    jl = tmp_path / "alerts.jsonl"
    jl.write_text(run(lantern, "filter", "alerts", alerts).stdout)
    local = run(python, "-m", "lantern_filter.run", f, jl, env=env)
    assert [json.loads(line) for line in local.stdout.splitlines()] == want
