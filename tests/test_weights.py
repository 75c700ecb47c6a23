"""Weights: safetensors with metadata, verified by SHA-256; every broken case a clear WeightsError."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from archcolour import nets, weights
from archcolour.weights import WeightsError

HP = {"widths": [8, 8, 16, 16, 16]}


def _save(path: Path, **kw) -> str:
    torch.manual_seed(0)
    model = nets.build("archunet", widths=tuple(HP["widths"]))
    args = dict(name="m", architecture="archunet", hparams=HP, working_size=64, data="synthetic", recipe="none")
    args.update(kw)
    return weights.save_model(model, path, **args)


@pytest.fixture
def models_dir(tmp_path) -> Path:
    d = tmp_path / "models"
    sha = _save(d / "m.safetensors")
    weights.write_manifest(d, [{"name": "m", "file": "m.safetensors", "sha256": sha, "role": "default"}], default="m")
    return d


def test_round_trip_with_metadata(models_dir, monkeypatch):
    monkeypatch.setenv("ARCHCOLOUR_MODELS", str(models_dir))
    model, info = weights.load_model(device="cpu")
    assert (info.name, info.architecture, info.working_size) == ("m", "archunet", 64)
    assert info.hparams == HP and info.extra["data"] == "synthetic" and info.extra["date"]
    assert info.sha256 == weights.sha256_file(models_dir / "m.safetensors") and len(info.short_hash) == 12
    assert not model.training
    torch.manual_seed(0)
    ref = nets.build("archunet", widths=tuple(HP["widths"])).eval()
    l = torch.rand(1, 1, 32, 32) * 100
    with torch.no_grad():
        assert torch.equal(model(l), ref(l))
    assert weights.list_bundled()[0]["name"] == "m"


def test_file_is_safetensors_not_pickle(models_dir):
    head = (models_dir / "m.safetensors").read_bytes()[:8]
    n = int.from_bytes(head, "little")
    header = json.loads((models_dir / "m.safetensors").read_bytes()[8:8 + n])
    assert header["__metadata__"]["archcolour.architecture"] == "archunet"


def test_missing_file(models_dir, monkeypatch):
    monkeypatch.setenv("ARCHCOLOUR_MODELS", str(models_dir))
    (models_dir / "m.safetensors").unlink()
    with pytest.raises(WeightsError, match="weights file missing"):
        weights.load_model(device="cpu")


def test_tampered_file_fails_the_manifest_hash(models_dir, monkeypatch):
    monkeypatch.setenv("ARCHCOLOUR_MODELS", str(models_dir))
    p = models_dir / "m.safetensors"
    b = bytearray(p.read_bytes())
    b[-10] ^= 0xFF  # one weight changed: still a readable file, but not the one the manifest lists
    p.write_bytes(bytes(b))
    with pytest.raises(WeightsError, match="does not match its manifest"):
        weights.load_model(device="cpu")


def test_truncated_file_fails_clearly(models_dir, monkeypatch):
    p = models_dir / "m.safetensors"
    p.write_bytes(p.read_bytes()[:200])
    with pytest.raises(WeightsError, match="does not match"):
        monkeypatch.setenv("ARCHCOLOUR_MODELS", str(models_dir))
        weights.load_model(device="cpu")
    with pytest.raises(WeightsError, match="cannot read weights file m.safetensors"):
        weights.load_model(p, device="cpu")  # no expected hash: the reader itself refuses it


def test_not_an_archcolour_file(tmp_path):
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(3)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(WeightsError, match="not an archcolour weights file"):
        weights.load_model(tmp_path / "other.safetensors", device="cpu")


def test_weights_that_do_not_fit_the_architecture(tmp_path):
    _save(tmp_path / "w.safetensors", hparams={"widths": [16, 16, 16, 16, 16]})
    with pytest.raises(WeightsError, match="does not fit architecture"):
        weights.load_model(tmp_path / "w.safetensors", device="cpu")


def test_manifest_problems(models_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("ARCHCOLOUR_MODELS", str(models_dir))
    with pytest.raises(WeightsError, match="no bundled model named 'zzz'"):
        weights.load_model(name="zzz", device="cpu")
    (models_dir / "manifest.json").write_text("{not json")
    with pytest.raises(WeightsError, match="not valid JSON"):
        weights.load_model(device="cpu")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(weights, "candidate_dirs", lambda: [empty])
    with pytest.raises(WeightsError, match="no bundled model weights found"):
        weights.models_dir()


def test_expected_hash_for_an_explicit_file(models_dir):
    p = models_dir / "m.safetensors"
    with pytest.raises(WeightsError, match="corrupt or was modified"):
        weights.load_model(p, expected_sha256="0" * 64, device="cpu")
    _, info = weights.load_model(p, expected_sha256=weights.sha256_file(p), device="cpu")
    assert info.name == "m"


@pytest.mark.parametrize("entry, why", [
    ("m", "is not an object"),
    ({"name": "m", "file": "m.safetensors"}, "lacks 'sha256'"),
    ({"name": "m", "file": "m.safetensors", "sha256": ""}, "empty or non-text 'sha256'"),
    ({"name": "m", "file": "m.safetensors", "sha256": "ab" * 31}, "not 64 hex digits"),
    ({"name": "m", "file": "../m.safetensors", "sha256": "ab" * 32}, "not a plain name"),
    ({"file": "m.safetensors", "sha256": "ab" * 32}, "lacks 'name'"),
])
def test_untrustworthy_manifest_entries_are_refused(models_dir, monkeypatch, entry, why):
    """An empty or missing hash never means 'do not check': tampered weights must not load."""
    monkeypatch.setenv("ARCHCOLOUR_MODELS", str(models_dir))
    assert weights.check_entry(entry) and why in weights.check_entry(entry)
    (models_dir / "manifest.json").write_text(json.dumps({"default": "m", "models": [entry]}))
    with pytest.raises(WeightsError, match="entry 1 ") as e:
        weights.load_model(device="cpu")
    assert "\n" not in str(e.value) and str(models_dir / "manifest.json") in str(e.value)
    with pytest.raises(WeightsError):
        weights.list_bundled()
    with pytest.raises(WeightsError, match="cannot write"):
        weights.write_manifest(models_dir, [entry], default="m")


def test_a_good_entry_passes_the_check(models_dir):
    (entry,) = weights.list_bundled(models_dir)
    assert weights.check_entry(entry) is None
