"""archcolour.settings: JSON settings in the config folder, robust to junk, atomic writes."""
from __future__ import annotations

import json
import sys

import pytest

from archcolour import settings as st


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    monkeypatch.setenv(st.ENV_CONFIG_DIR, str(tmp_path / "cfg"))
    return tmp_path / "cfg"


def test_env_override_decides_the_folders(cfg):
    assert st.config_dir() == cfg
    assert st.settings_path() == cfg / "settings.json"
    assert st.cache_dir() == cfg / "cache"


def test_platformdirs_used_without_override(monkeypatch):
    monkeypatch.delenv(st.ENV_CONFIG_DIR, raising=False)
    import platformdirs

    assert st.config_dir() == __import__("pathlib").Path(platformdirs.user_config_dir("archcolour", appauthor=False))


def test_missing_file_gives_defaults(cfg):
    s = st.load_settings()
    assert s == st.Settings()
    assert s.fmt == "same" and s.overwrite is False and s.device == "auto" and s.working_size is None
    assert s.ensemble == "full"


def test_round_trip(cfg):
    s = st.Settings(fmt="jpg", jpeg_quality=80, overwrite=True, device="cpu", working_size=384, ensemble="mirror",
                    output_dir="/tmp/out", include_subfolders=True, window_geometry="AAEC", side_by_side=True)
    s.add_recent("/a/photos")
    path = st.save_settings(s)
    assert path == cfg / "settings.json"
    assert json.loads(path.read_text())["fmt"] == "jpg"
    assert json.loads(path.read_text())["ensemble"] == "mirror"
    back = st.load_settings()
    assert back == s
    assert back.last_folder == "/a/photos"
    # the atomic write leaves no temporary file behind
    assert sorted(p.name for p in cfg.iterdir()) == ["settings.json"]


def test_recent_folders_are_deduplicated_and_capped():
    s = st.Settings()
    for i in range(st.MAX_RECENT + 5):
        s.add_recent(f"/f{i}")
    s.add_recent("/f3")
    assert s.recent_folders[0] == "/f3"
    assert len(s.recent_folders) == st.MAX_RECENT
    assert s.recent_folders.count("/f3") == 1


def test_corrupt_file_falls_back_and_is_kept_aside(cfg):
    cfg.mkdir(parents=True)
    (cfg / "settings.json").write_text("{not json", encoding="utf-8")
    assert st.load_settings() == st.Settings()
    assert (cfg / "settings.json.bad").read_text() == "{not json"


def test_invalid_values_and_unknown_keys_are_ignored(cfg):
    cfg.mkdir(parents=True)
    data = {"fmt": "GIF", "jpeg_quality": 500, "overwrite": "yes", "working_size": 10, "device": "tpu",
            "recent_folders": ["/ok", 3], "unknown": 1, "output_dir": "/out", "side_by_side": True}
    (cfg / "settings.json").write_text(json.dumps(data), encoding="utf-8")
    s = st.load_settings()
    d = st.Settings()
    assert (s.fmt, s.jpeg_quality, s.overwrite, s.working_size, s.device, s.recent_folders) == (
        d.fmt, d.jpeg_quality, d.overwrite, d.working_size, d.device, d.recent_folders)
    assert s.output_dir == "/out" and s.side_by_side is True


def test_settings_module_is_qt_free():
    import subprocess

    code = ("import sys, archcolour.settings as s; s.load_settings; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'PyQt', 'torch'))]; "
            "assert not bad, bad")
    from pathlib import Path

    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])


def test_every_output_choice_and_device_round_trips(cfg):
    from archcolour import choices, formats

    for key in formats.OUTPUT_KEYS:
        for dev in (*choices.DEVICES, "cuda:1"):
            st.save_settings(st.Settings(fmt=key, device=dev, working_size=choices.MAX_WORKING_SIZE))
            back = st.load_settings()
            assert (back.fmt, back.device, back.working_size) == (key, dev, choices.MAX_WORKING_SIZE)


@pytest.mark.parametrize("old, new", [("PNG", "png"), ("JPEG", "jpg"), ("TIFF16", "tif"), ("tiff", "tif")])
def test_older_format_names_are_read_as_the_vocabulary(cfg, old, new):
    cfg.mkdir(parents=True)
    (cfg / "settings.json").write_text(json.dumps({"fmt": old}), encoding="utf-8")
    assert st.load_settings().fmt == new


@pytest.mark.parametrize("size, ok", [(63, False), (64, True), (8192, True), (8193, False), (True, False)])
def test_working_size_bounds(cfg, size, ok):
    cfg.mkdir(parents=True)
    (cfg / "settings.json").write_text(json.dumps({"working_size": size}), encoding="utf-8")
    assert st.load_settings().working_size == (size if ok else None)


def test_every_ensemble_round_trips(cfg):
    from archcolour import choices

    assert st.Settings().ensemble == choices.DEFAULT_ENSEMBLE
    for name in choices.ENSEMBLES:
        st.save_settings(st.Settings(ensemble=name))
        assert st.load_settings().ensemble == name


@pytest.mark.parametrize("value", ["best", "FULL", "", None, 2, ["none"]])
def test_an_invalid_ensemble_falls_back_to_the_default_with_a_warning(cfg, value, caplog):
    cfg.mkdir(parents=True)
    (cfg / "settings.json").write_text(json.dumps({"ensemble": value, "working_size": 256}), encoding="utf-8")
    with caplog.at_level("WARNING", logger="archcolour.settings"):
        s = st.load_settings()
    assert s.ensemble == "full" and s.working_size == 256  # the other fields are still read
    assert "ignoring invalid value for ensemble" in caplog.text
