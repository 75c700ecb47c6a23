"""archcolour/__init__.py: torch's OpenMP threads wait passively unless the user says otherwise."""
import os
import subprocess
import sys

CODE = "import archcolour, os, torch; print(os.environ.get('OMP_WAIT_POLICY'))"


def _run(env):
    return subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_passive_by_default():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert _run(env) == "PASSIVE"


def test_explicit_policy_wins():
    assert _run(dict(os.environ, OMP_WAIT_POLICY="ACTIVE")) == "ACTIVE"
