"""Data: discover colour photographs under a data root, split them deterministically, pack them.

* **Discovery.** Every image file below ``<root>/<set>/`` (one sub-folder per data set, as in
  ``../shared/datasets``). Greyscale and near-greyscale images (mean CIELAB chroma < 1.5, the same
  rule the data sets were cleaned with) are dropped at packing time.
* **Split.** 80 / 15 / 5 (train / validation / test, as in the report) by a SHA-1 of the image's path
  relative to the root: deterministic, independent of file order, of other files and of the machine,
  and stable when images are added.
* **Packing.** Each image is resized (short side, antialiased) and centre-cropped to ``size`` x
  ``size`` sRGB uint8 and stored in one ``.npz`` cache per split, so training reads no JPEGs and the
  whole set moves to a GPU in one copy (14k images at 128 px are ~0.7 GB; far less compressed).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archcolour.fsutil import atomic_write, atomic_write_bytes

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}
SPLITS = ("train", "val", "test")
SPLIT_FRACTIONS = (0.80, 0.15, 0.05)
GREY_CHROMA = 1.5
DEFAULT_ROOT = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"


def default_data_root() -> Path:
    env = os.environ.get("ARCHCOLOUR_DATA")
    return Path(env) if env else DEFAULT_ROOT


def split_of(relpath: str) -> str:
    """'train', 'val' or 'test' for an image path relative to the data root (POSIX separators)."""
    h = int(hashlib.sha1(relpath.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    if h < SPLIT_FRACTIONS[0]:
        return "train"
    if h < SPLIT_FRACTIONS[0] + SPLIT_FRACTIONS[1]:
        return "val"
    return "test"


@dataclass(frozen=True)
class Entry:
    relpath: str  # relative to the data root, POSIX
    set_name: str  # first path component
    split: str


def discover(root: Path, sets: list[str] | None = None) -> list[Entry]:
    """All image files under ``root/<set>/``, sorted, with their split."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"data root not found: {root}")
    entries = []
    for set_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        if sets and set_dir.name not in sets:
            continue
        for f in sorted(set_dir.rglob("*")):
            if f.is_file() and f.suffix.lower() in IMAGE_EXTS:
                rel = f.relative_to(root).as_posix()
                entries.append(Entry(rel, set_dir.name, split_of(rel)))
    return entries


def load_square(path: Path, size: int) -> np.ndarray:
    """sRGB uint8 (size, size, 3): short side resized to ``size`` (antialiased), centre crop."""
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        w, h = im.size
        s = size / min(w, h)
        nw, nh = max(size, round(w * s)), max(size, round(h * s))
        im = im.resize((nw, nh), Image.Resampling.LANCZOS, reducing_gap=3.0)
        left, top = (nw - size) // 2, (nh - size) // 2
        im = im.crop((left, top, left + size, top + size))
        return np.asarray(im, dtype=np.uint8)


def mean_chroma(rgb_u8: np.ndarray) -> float:
    import torch

    from archcolour.colour import rgb_to_lab

    lab = rgb_to_lab(torch.from_numpy(np.array(rgb_u8)).permute(2, 0, 1).float() / 255.0)
    return float(lab[1:].pow(2).sum(0).sqrt().mean())


@dataclass
class PackedSplit:
    images: np.ndarray  # (N, S, S, 3) uint8
    set_ids: np.ndarray  # (N,) int16 index into set_names
    set_names: list[str]
    relpaths: list[str]

    def __len__(self) -> int:
        return len(self.relpaths)


def _cache_key(entries: list[Entry], size: int) -> str:
    h = hashlib.sha1(f"v1|{size}|".encode())
    for e in entries:
        h.update(e.relpath.encode() + b"\n")
    return h.hexdigest()[:16]


def pack(root: Path, cache_dir: Path, size: int = 128, sets: list[str] | None = None,
         limit_per_set: int | None = None, progress: bool = True) -> dict[str, Path]:
    """Pack every split into ``cache_dir/<split>-<key>.npz``; returns the paths (reused if present)."""
    root, cache_dir = Path(root), Path(cache_dir)
    entries = discover(root, sets)
    if limit_per_set:
        kept, seen = [], {}
        for e in entries:
            seen[e.set_name] = seen.get(e.set_name, 0) + 1
            if seen[e.set_name] <= limit_per_set:
                kept.append(e)
        entries = kept
    if not entries:
        raise FileNotFoundError(f"no images found under {root}")
    key = _cache_key(entries, size)
    paths = {s: cache_dir / f"{s}-{size}-{key}.npz" for s in SPLITS}
    if all(p.is_file() for p in paths.values()):
        return paths
    cache_dir.mkdir(parents=True, exist_ok=True)
    set_names = sorted({e.set_name for e in entries})
    buckets: dict[str, dict[str, list]] = {s: {"img": [], "set": [], "rel": []} for s in SPLITS}
    dropped = {"grey": 0, "unreadable": 0}
    for i, e in enumerate(entries):
        try:
            img = load_square(root / e.relpath, size)
        except Exception:  # noqa: BLE001 - a bad file is skipped and counted, never fatal
            dropped["unreadable"] += 1
            continue
        if mean_chroma(img) < GREY_CHROMA:
            dropped["grey"] += 1
            continue
        b = buckets[e.split]
        b["img"].append(img)
        b["set"].append(set_names.index(e.set_name))
        b["rel"].append(e.relpath)
        if progress and (i + 1) % 1000 == 0:
            print(f"  packed {i + 1}/{len(entries)}", flush=True)
    for s in SPLITS:
        b = buckets[s]
        imgs = np.stack(b["img"]) if b["img"] else np.zeros((0, size, size, 3), np.uint8)
        arrays = {"images": imgs, "set_ids": np.asarray(b["set"], np.int16), "set_names": np.asarray(set_names),
                  "relpaths": np.asarray(b["rel"])}
        atomic_write(paths[s], lambda f, arrays=arrays: np.savez(f, **arrays))
    summary = {s: len(buckets[s]["rel"]) for s in SPLITS}
    atomic_write_bytes(cache_dir / f"summary-{size}-{key}.json", json.dumps(
        {"root": str(root), "size": size, "counts": summary, "dropped": dropped,
         "per_set": {n: {s: sum(1 for x in buckets[s]["set"] if x == k) for s in SPLITS}
                     for k, n in enumerate(set_names)}}, indent=2).encode("utf-8"))
    if progress:
        print(f"packed {summary} (dropped {dropped})", flush=True)
    return paths


def load_packed(path: Path) -> PackedSplit:
    with np.load(path, allow_pickle=False) as z:
        return PackedSplit(images=z["images"], set_ids=z["set_ids"].astype(np.int64),
                           set_names=[str(x) for x in z["set_names"]], relpaths=[str(x) for x in z["relpaths"]])


def sampling_weights(split: PackedSplit, balance: str = "sqrt") -> np.ndarray:
    """Per-image sampling probabilities. 'natural': uniform over images; 'sqrt': each set is drawn in
    proportion to the square root of its size (damps the 69% share of church close-ups in ahe128)."""
    n = len(split)
    if balance == "natural" or n == 0:
        return np.full(n, 1.0 / max(n, 1))
    counts = np.bincount(split.set_ids, minlength=len(split.set_names)).astype(np.float64)
    set_share = np.where(counts > 0, np.sqrt(counts), 0.0)
    set_share /= set_share.sum()
    w = set_share[split.set_ids] / counts[split.set_ids]
    return w / w.sum()


def colourfulness_u8(images: np.ndarray) -> np.ndarray:
    """Hasler & Suesstrunk (2003) colourfulness of each uint8 sRGB image (N, H, W, 3)."""
    x = images.astype(np.float32)
    rg = x[..., 0] - x[..., 1]
    yb = 0.5 * (x[..., 0] + x[..., 1]) - x[..., 2]
    axes = (1, 2)
    return np.sqrt(rg.std(axes) ** 2 + yb.std(axes) ** 2) + 0.3 * np.sqrt(rg.mean(axes) ** 2 + yb.mean(axes) ** 2)


def drop_least_colourful(split: PackedSplit, fraction: float) -> tuple[PackedSplit, int]:
    """The split without its ``fraction`` least colourful images (as BigColor and DDColor filter), and how many went."""
    if fraction <= 0 or len(split) == 0:
        return split, 0
    c = np.concatenate([colourfulness_u8(split.images[i:i + 1024]) for i in range(0, len(split), 1024)])
    keep = np.sort(np.argsort(c, kind="stable")[int(round(fraction * len(split))):])
    kept = PackedSplit(images=split.images[keep], set_ids=split.set_ids[keep], set_names=split.set_names,
                       relpaths=[split.relpaths[i] for i in keep])
    return kept, len(split) - len(kept)
