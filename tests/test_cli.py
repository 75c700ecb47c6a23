"""The command line: exit status, summary, skip/overwrite, clear set-up errors, --version/--help."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archcolour import __version__, cli


def _grey(seed=0, h=24, w=32) -> np.ndarray:
    r = np.random.default_rng(seed)
    return (np.linspace(30, 220, w)[None, :] + r.random((h, w)) * 30).clip(0, 255).astype(np.uint8)


@pytest.fixture
def photos(tmp_path) -> Path:
    d = tmp_path / "photos"
    (d / "sub").mkdir(parents=True)
    Image.fromarray(_grey(1)).save(d / "a.jpg")
    Image.fromarray(_grey(2)).save(d / "b.png")
    Image.fromarray(_grey(3)).save(d / "sub" / "c.png")
    return d


def _hashes(root: Path) -> dict:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


def test_colourise_folder_exit_0_and_summary(photos, tmp_path, capsys):
    before = _hashes(photos)
    out = tmp_path / "out"
    rc = cli.main(["colourise", str(photos), "-o", str(out), "-r", "--device", "cpu"])
    text = capsys.readouterr().out
    assert rc == 0
    assert "Summary: 3 done, 0 skipped, 0 failed" in text
    assert (out / "a_colourised.jpg").is_file() and (out / "sub" / "c_colourised.png").is_file()
    assert _hashes(photos) == before
    with Image.open(out / "b_colourised.png") as im:
        assert im.size == (32, 24) and im.mode == "RGB"


def test_second_run_skips_and_overwrite_redoes(photos, tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["colourise", str(photos), "-o", str(out), "-q"]) == 0
    capsys.readouterr()
    assert cli.main(["colourise", str(photos), "-o", str(out)]) == 0
    assert "0 done, 2 skipped, 0 failed" in capsys.readouterr().out
    assert cli.main(["colourise", str(photos), "-o", str(out), "--overwrite", "-q"]) == 0
    assert "2 done, 0 skipped, 0 failed" in capsys.readouterr().out


def test_output_of_another_source_is_a_conflict_until_replace_foreign(photos, tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["colourise", str(photos / "b.png"), "-o", str(out), "-q"]) == 0
    other = tmp_path / "other"
    other.mkdir()
    Image.fromarray(_grey(9)).save(other / "b.png")  # another photograph with the same name
    made = (out / "b_colourised.png").read_bytes()
    capsys.readouterr()
    assert cli.main(["colourise", str(other), "-o", str(out), "--overwrite"]) == 1
    cap = capsys.readouterr()
    lines = [ln for ln in cap.err.splitlines() if ln.startswith("conflict")]
    assert len(lines) == 1 and "another source" in lines[0] and "--replace-foreign" in lines[0]
    assert "0 done, 1 skipped (1 conflict), 0 failed" in cap.out
    assert (out / "b_colourised.png").read_bytes() == made
    assert cli.main(["colourise", str(other), "-o", str(out), "--replace-foreign", "-q", "--jobs", "2"]) == 0
    assert (out / "b_colourised.png").read_bytes() != made


def test_missing_input_and_broken_link_are_errors_empty_folder_a_note(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert cli.main(["colourise", str(tmp_path / "empty"), "-o", str(tmp_path / "o")]) == 0
    assert "archcolour: note:" in capsys.readouterr().err
    (tmp_path / "link.png").symlink_to(tmp_path / "nowhere.png")
    assert cli.main(["colourise", str(tmp_path / "link.png"), "-o", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "archcolour: error:" in err and "broken symbolic link" in err


def test_failures_give_exit_1_and_the_batch_goes_on(photos, tmp_path, capsys):
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    out = tmp_path / "out"
    rc = cli.main(["colourise", str(photos), "-o", str(out), "--format", "png"])
    cap = capsys.readouterr()
    assert rc == 1
    assert "2 done, 0 skipped, 1 failed" in cap.out
    failed_lines = [ln for ln in (cap.out + cap.err).splitlines() if "broken.jpg" in ln and "failed" in ln]
    assert len(failed_lines) == 1
    assert (out / "a_colourised.png").is_file() and (out / "b_colourised.png").is_file()


def test_missing_input_counts_as_failure(photos, tmp_path, capsys):
    rc = cli.main(["colourise", str(photos / "a.jpg"), str(tmp_path / "nope.tif"), "-o", str(tmp_path / "o")])
    cap = capsys.readouterr()
    assert rc == 1
    assert "nope.tif: no such file" in cap.err
    assert "1 done, 0 skipped, 1 failed" in cap.out


def test_no_bundled_weights_is_a_clear_message(photos, tmp_path, monkeypatch, capsys):
    empty = tmp_path / "no_models"
    empty.mkdir()
    monkeypatch.setenv("ARCHCOLOUR_MODELS", str(empty))
    import archcolour.weights as w

    monkeypatch.setattr(w, "candidate_dirs", lambda: [empty])
    rc = cli.main(["colourise", str(photos), "-o", str(tmp_path / "o")])
    cap = capsys.readouterr()
    assert rc == 2
    assert "no bundled model weights found" in cap.err
    assert "Traceback" not in cap.err
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").rglob("*_colourised.*"))


def test_explicit_weights_file_and_options(photos, tmp_path, tiny_weights, capsys):
    out = tmp_path / "o"
    rc = cli.main(["colourise", str(photos / "b.png"), "-o", str(out), "--weights", str(tiny_weights),
                   "--working-size", "96", "--seed", "3", "--format", "tif", "--device", "cpu"])
    assert rc == 0
    assert "working size 96" in capsys.readouterr().out
    assert (out / "b_colourised.tif").is_file()


def test_corrupt_weights_file_is_a_clear_message(photos, tmp_path, capsys):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"this is not safetensors")
    rc = cli.main(["colourise", str(photos / "b.png"), "-o", str(tmp_path / "o"), "--weights", str(bad)])
    err = capsys.readouterr().err
    assert rc == 2 and "bad.safetensors" in err and "Traceback" not in err


def test_same_input_gives_same_pixels(photos, tmp_path):
    for name in ("o1", "o2"):
        assert cli.main(["colourise", str(photos / "b.png"), "-o", str(tmp_path / name), "-q", "--seed", "5"]) == 0
    with Image.open(tmp_path / "o1" / "b_colourised.png") as a, Image.open(tmp_path / "o2" / "b_colourised.png") as b:
        assert np.array_equal(np.asarray(a), np.asarray(b))


def test_bad_options_exit_2(capsys):
    for argv in (["colourise"], ["colourise", "x.png", "--jpeg-quality", "0"], ["colourise", "x.png", "--format", "gif"],
                 ["colourise", "x.png", "--working-size", "-5"], ["frobnicate"]):
        with pytest.raises(SystemExit) as ei:
            cli.main(argv)
        assert ei.value.code == 2
    capsys.readouterr()
    assert cli.main([]) == 2  # no command: help on stderr


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as ei:
        cli.main(["--version"])
    assert ei.value.code == 0
    assert f"archcolour {__version__}" in capsys.readouterr().out
    with pytest.raises(SystemExit) as ei:
        cli.main(["colourise", "--help"])
    assert ei.value.code == 0
    text = capsys.readouterr().out
    for opt in ("--output", "--recursive", "--format", "--working-size", "--device", "--seed", "--overwrite",
                "--model", "--weights", "--jpeg-quality", "--quiet", "exit status"):
        assert opt in text


def test_progress_bar_only_on_a_terminal(photos, tmp_path):
    class TTY:
        def __init__(self):
            self.buf = []

        def write(self, s):
            self.buf.append(s)

        def flush(self):
            pass

        def isatty(self):
            return True

    import io

    tty, out = TTY(), io.StringIO()
    p = cli._Progress(3, tty, out, quiet=False)
    p.draw("a.jpg")
    p.step()
    p.line("done a")
    p.draw("b.jpg")
    p.close()
    drawn = "".join(tty.buf)
    assert "[" in drawn and "1/3" in drawn and "\r" in drawn
    assert out.getvalue() == "done a\n"
    plain = cli._Progress(3, io.StringIO(), io.StringIO(), quiet=False)
    assert not plain.tty


def test_python_dash_m_entry_point(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1]) + os.pathsep + env.get("PYTHONPATH", "")
    r = subprocess.run([sys.executable, "-m", "archcolour", "--version"], capture_output=True, text=True, env=env,
                       timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 0 and r.stdout.startswith("archcolour ")


ROOT = Path(__file__).resolve().parents[1]


def test_readme_quick_start_is_two_commands_and_ci_runs_the_test_one():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", quick, flags=re.S)
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    run_cmd, test_cmd = commands
    assert "pip install torch==2.13.0 && pip install ." in run_cmd and "archcolour colourise resources/samples -o colourised" in run_cmd
    assert "pip install torch==2.13.0" in test_cmd and "python -m pytest" in test_cmd
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert any(line.startswith(test_cmd) for line in ci.splitlines())
    assert os.access(ROOT / ".ci" / "run", os.X_OK)
