"""CLI start-up: the quick commands never import torch; --debug; streams; a closed pipe is not an error.

Timings are measured by ``bench/bench_startup.py``, not here; these tests check the cause (torch is
not imported), which does not depend on how busy the machine is.
"""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archcolour import cli

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import sys
from archcolour import cli
try:
    rc = cli.main({argv!r})
except SystemExit as e:
    rc = e.code
heavy = sorted(m for m in ("torch", "torchvision", "PySide6", "skimage", "c2pa_signing_never") if m in sys.modules)
sys.stderr.write("\\nPROBE " + repr((rc, heavy)) + "\\n")
"""


def _probe(argv: list[str]) -> tuple[int, list[str]]:
    res = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    line = [ln for ln in res.stderr.splitlines() if ln.startswith("PROBE ")][-1]
    return eval(line[6:])  # noqa: S307 - our own repr


@pytest.fixture(scope="module")
def plain_png(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("startup") / "plain.png"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(p)
    return p


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["models"], ["colourise", "--help"], ["inspect", "PLAIN"],
                                  ["inspect", "--json", "PLAIN"]])
def test_quick_commands_do_not_import_torch(argv, plain_png):
    argv = [str(plain_png) if a == "PLAIN" else a for a in argv]
    rc, heavy = _probe(argv)
    assert heavy == [], f"{argv} imported {heavy}"
    assert rc in (0, 1)  # inspect of a file without provenance: 1


def test_the_probe_can_see_torch():
    rc, heavy = _probe(["colourise", "--no-such-option"])
    assert rc == 2
    code = "import archcolour.engine, sys; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True).stdout.strip() == "True"


def test_version_names_torch_without_importing_it():
    out = io.StringIO()
    with pytest.raises(SystemExit):
        sys_stdout, sys.stdout = sys.stdout, out
        try:
            cli.main(["--version"])
        finally:
            sys.stdout = sys_stdout
    from importlib import metadata

    assert f"torch {metadata.version('torch')}" in out.getvalue()


def test_debug_configures_logging(capsys):
    import logging

    cli.main(["--debug", "models"])
    logging.getLogger("archcolour.test").debug("a debug line")
    assert "archcolour: DEBUG: archcolour.test: a debug line" in capsys.readouterr().err
    cli.main(["models"])
    logging.getLogger("archcolour.test").debug("hidden")
    logging.getLogger("archcolour.test").warning("shown")
    err = capsys.readouterr().err
    assert "hidden" not in err and "archcolour: WARNING: shown" in err
    logging.getLogger().setLevel(logging.WARNING)


def test_failure_lines_go_to_the_injected_stream(tmp_path, capsys):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    args = cli.build_parser().parse_args(["colourise", str(bad), "-o", str(tmp_path / "out")])
    out, err = io.StringIO(), io.StringIO()
    rc = cli.cmd_colourise(args, out=out, err=err)
    assert rc == cli.EXIT_FAILED
    assert "broken.png" in err.getvalue() and "failed" in err.getvalue()
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""  # nothing went to the process's own streams


def test_inspect_into_a_closed_pipe_prints_no_traceback(plain_png):
    files = [str(plain_png)] * 4000  # far more output than a pipe buffer holds
    p = subprocess.Popen([sys.executable, "-m", "archcolour", "inspect", *files], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.readline()
    p.stdout.close()  # what `| head -1` does
    err = p.stderr.read().decode()
    rc = p.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err[-2000:]
    assert rc == cli.EXIT_BROKEN_PIPE
