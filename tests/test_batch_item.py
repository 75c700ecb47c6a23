"""batch.item.process_item: one item start to finish, a picklable result, no manifest (the caller writes it)."""
from __future__ import annotations

import pickle

import numpy as np
from PIL import Image

from archcolour import provenance as P
from archcolour.batch import BatchOptions, OutputState, Problem, ProblemKind, plan_job, process_item


def test_process_item_returns_a_picklable_result_and_writes_output_and_sidecar_only(tmp_path, tiny_models_dir):
    from archcolour.engine import Colouriser

    Image.fromarray((np.random.default_rng(0).random((12, 16)) * 255).astype(np.uint8)).save(tmp_path / "s.png")
    plan = plan_job([tmp_path / "s.png"], tmp_path / "out")
    item = pickle.loads(pickle.dumps(plan.items[0]))  # items travel to another process too
    res = process_item(item, Colouriser(tiny_models_dir / "tiny.safetensors", device="cpu"), BatchOptions())
    assert res.status == "done" and res.output_sha256 == P.sha256_file(res.output)
    assert res.source_sha256 == P.sha256_file(tmp_path / "s.png") and res.model == "tiny"
    back = pickle.loads(pickle.dumps(res))
    assert back == res
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["s_colourised.png", "s_colourised.png.json"]
    again = process_item(item, None, BatchOptions())  # no model needed for a skip
    assert again.status == "skipped" and again.state is OutputState.DONE and again.output_sha256 == res.output_sha256
    p = pickle.loads(pickle.dumps(Problem(ProblemKind.MISSING, tmp_path / "x.png", "no such file or folder")))
    assert p.kind is ProblemKind.MISSING and p == f"{tmp_path / 'x.png'}: no such file or folder"
