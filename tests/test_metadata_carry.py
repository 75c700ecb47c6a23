"""The source's descriptive and rights metadata reach every output (issue 12), checked with exiftool.

Sources are written by exiftool (Debian: libimage-exiftool-perl) with EXIF, IPTC-IIM and XMP, each
colourised through the real batch path into every format the format table writes (PNG 8/16, JPEG,
TIFF 8/16, WebP, BMP), and every output is read back with ``exiftool -j -G1 -a``. The matrix the
assertions follow is the one in docs/PROVENANCE.md ("What each output format carries"). Without
exiftool the module is skipped on a developer's machine and FAILS under CI=true (tests/testdeps.py).
"""
from __future__ import annotations

import datetime as _dt
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from testdeps import in_ci

EXIFTOOL = shutil.which("exiftool")
if EXIFTOOL is None:
    _msg = "exiftool is missing (Debian/Ubuntu: apt-get install libimage-exiftool-perl)"
    if in_ci():
        pytest.fail(_msg, pytrace=False)
    pytest.skip(_msg, allow_module_level=True)

CAPTION = "Temple of Apollo, north side, seen from the stoa"
GREEK = "Ναός του Απόλλωνα, βόρεια πλευρά"
TAKEN_EXIF = "1911:05:14 10:30:00"  # how exiftool prints the capture date
TAKEN_ZONED = "1911:05:14 10:30:00+02:00"

FULL_ARGS = [
    f"-EXIF:DateTimeOriginal={TAKEN_EXIF}", "-EXIF:CreateDate=1911:05:14 10:30:00",
    "-EXIF:Artist=Jane Photographer", "-EXIF:Copyright=(c) 1911 Example Archive",
    "-EXIF:ImageDescription=Temple of Apollo, north side", "-EXIF:UserComment=Glass plate, cracked at the corner",
    "-EXIF:FileSource=Reflection Print Scanner",  # UNDEFINED data: its type must survive the rewrite
    "-IPTC:CodedCharacterSet=UTF8", f"-IPTC:Caption-Abstract={CAPTION}", "-IPTC:By-line=Jane Photographer",
    "-IPTC:CopyrightNotice=(c) 1911 Example Archive", "-IPTC:DateCreated=1911:05:14",
    "-IPTC:TimeCreated=10:30:00+02:00", "-IPTC:Headline=Temple of Apollo", "-IPTC:Keywords=temple",
    "-IPTC:Keywords=Delphi", "-IPTC:City=Delphi", "-IPTC:Country-PrimaryLocationName=Greece",
    "-IPTC:Credit=Example Archive", "-IPTC:Source=Glass plate 1911/42", "-IPTC:ObjectName=Delphi 42",
    "-XMP-dc:Title=Delphi 42", f"-XMP-dc:Description={CAPTION}", "-XMP-dc:Creator=Jane Photographer",
    "-XMP-dc:Rights=(c) 1911 Example Archive", f"-XMP-photoshop:DateCreated={TAKEN_ZONED}",
    "-XMP-xmpRights:UsageTerms=Reproduction by permission only", "-XMP-iptcCore:Location=Sanctuary of Apollo",
    "-XMP-iptcCore:CountryCode=GR", "-XMP-photoshop:City=Delphi", "-XMP-photoshop:Country=Greece",
    "-XMP-dc:Subject=temple", "-XMP-dc:Subject=Delphi", "-XMP-photoshop:Credit=Example Archive",
    "-XMP-photoshop:Source=Glass plate 1911/42", "-XMP-photoshop:Headline=Temple of Apollo",
]
# IIM and EXIF only (an older archive's JPEG): XMP is filled from them; a Greek caption; one IIM
# field with no XMP twin (Contact, carried as it was) and one that describes the source's file
# (OriginatingProgram, not carried)
LEGACY_ARGS = [
    f"-EXIF:DateTimeOriginal={TAKEN_EXIF}", "-EXIF:Artist=Jane Photographer",
    "-IPTC:CodedCharacterSet=UTF8", f"-IPTC:Caption-Abstract={GREEK}", "-IPTC:By-line=Jane Photographer",
    "-IPTC:CopyrightNotice=(c) 1911 Example Archive", "-IPTC:DateCreated=1911:05:14",
    "-IPTC:TimeCreated=10:30:00+02:00", "-IPTC:ObjectName=Delphi 42", "-IPTC:Keywords=temple",
    "-IPTC:City=Delphi", "-IPTC:Contact=archive@example.org", "-IPTC:OriginatingProgram=ScanSoft 2",
]
# EXIF only: the XMP gets the capture date, creator, rights and caption from it; no IIM is made up
EXIF_ONLY_ARGS = [
    f"-EXIF:DateTimeOriginal={TAKEN_EXIF}", "-EXIF:OffsetTimeOriginal=+02:00", "-EXIF:Artist=Jane Photographer",
    "-EXIF:Copyright=(c) 1911 Example Archive", f"-EXIF:ImageDescription={CAPTION}",
]
FULL_SOURCES = ("fulljpg.jpg", "full8.tif", "full16.tif", "fullpng.png", "fullwebp.webp")
SOURCES = (*FULL_SOURCES, "legacy.jpg", "exifonly.tif")
#: label -> (output choice, bit depth, extension)
OUTPUTS = {"png8": ("png", "8", "png"), "png16": ("png", "16", "png"), "jpg": ("jpg", "auto", "jpg"),
           "tif8": ("tif", "8", "tif"), "tif16": ("tif", "16", "tif"), "webp": ("webp", "auto", "webp"),
           "bmp": ("bmp", "auto", "bmp")}
HOLDS_XMP = {"png8", "png16", "jpg", "tif8", "tif16", "webp"}
HOLDS_EXIF = HOLDS_XMP
HOLDS_IIM = {"jpg", "tif8", "tif16"}
HAS_IIM = {"fulljpg.jpg", "full8.tif", "full16.tif", "fullpng.png", "legacy.jpg"}  # exiftool writes no IIM into WebP


def _exiftool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([EXIFTOOL, *args], capture_output=True, text=True, check=True)


def _make_sources(d: Path) -> None:
    d.mkdir()
    grey = (np.add.outer(np.arange(24), np.arange(32)) * 4 % 256).astype(np.uint8)
    Image.fromarray(grey, "L").save(d / "fulljpg.jpg", quality=90)
    Image.fromarray(grey, "L").save(d / "legacy.jpg", quality=90)
    tifffile.imwrite(d / "full8.tif", grey, photometric="minisblack")
    tifffile.imwrite(d / "exifonly.tif", grey, photometric="minisblack")
    tifffile.imwrite(d / "full16.tif", grey.astype(np.uint16) * 257, photometric="minisblack")
    Image.fromarray(grey, "L").save(d / "fullpng.png")
    Image.fromarray(np.stack([grey] * 3, -1), "RGB").save(d / "fullwebp.webp", lossless=True)
    names = lambda *n: [str(d / x) for x in n]  # noqa: E731
    _exiftool("-q", "-m", "-overwrite_original", *FULL_ARGS, *names(*FULL_SOURCES))
    _exiftool("-q", "-overwrite_original", *LEGACY_ARGS, *names("legacy.jpg"))
    _exiftool("-q", "-overwrite_original", *EXIF_ONLY_ARGS, *names("exifonly.tif"))


@pytest.fixture(scope="module")
def carried(tmp_path_factory, tiny_models_dir):
    """{(output label, source name): (exiftool's JSON of the output, its sidecar)}, plus the run's time."""
    from archcolour import batch
    from archcolour.engine import Colouriser

    root = tmp_path_factory.mktemp("carry")
    _make_sources(root / "src")
    colouriser = Colouriser(tiny_models_dir / "tiny.safetensors", device="cpu")
    before = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    paths = {}
    for label, (choice, bits, ext) in OUTPUTS.items():
        plan = batch.plan_job([root / "src" / n for n in SOURCES], root / label, fmt=choice)
        options = batch.BatchOptions(fmt=choice, bit_depth=bits, jobs=1, manifest=False)
        for r in batch.run_job(plan, colouriser, options):
            assert r.status == "done", (label, r.source.name, r.message)
            assert r.output.suffix == f".{ext}"
            paths[(label, r.source.name)] = r.output
    keys = list(paths)
    read = json.loads(_exiftool("-j", "-G1", "-a", "-struct", "-charset", "iptc=UTF8", "-CurrentIPTCDigest", "-all",
                                *(str(paths[k]) for k in keys)).stdout)
    out = {k: (tags, json.loads(paths[k].with_name(paths[k].name + ".json").read_text("utf-8")))
           for k, tags in zip(keys, read)}
    return out, before


def _listed(v) -> list:
    return v if isinstance(v, list) else [v]


def _xmp_expectations(tags: dict, source: str) -> None:
    if source == "exifonly.tif":
        assert _listed(tags["XMP-dc:Creator"]) == ["Jane Photographer"]
        assert tags["XMP-dc:Rights"] == "(c) 1911 Example Archive"
        assert tags["XMP-photoshop:DateCreated"] == TAKEN_ZONED
        assert CAPTION in tags["XMP-dc:Description"]
        return
    assert tags["XMP-dc:Title"] == "Delphi 42"
    assert _listed(tags["XMP-dc:Creator"]) == ["Jane Photographer"]
    assert tags["XMP-dc:Rights"] == "(c) 1911 Example Archive"
    assert tags["XMP-photoshop:DateCreated"] == TAKEN_ZONED
    assert tags["XMP-photoshop:City"] == "Delphi"
    assert "temple" in _listed(tags["XMP-dc:Subject"])
    if source == "legacy.jpg":  # everything came from IIM (and EXIF)
        assert GREEK in tags["XMP-dc:Description"]
        return
    assert CAPTION in tags["XMP-dc:Description"]
    assert _listed(tags["XMP-dc:Subject"]) == ["temple", "Delphi"]
    for key, want in (("XMP-xmpRights:UsageTerms", "Reproduction by permission only"),
                      ("XMP-iptcCore:Location", "Sanctuary of Apollo"), ("XMP-iptcCore:CountryCode", "GR"),
                      ("XMP-photoshop:Country", "Greece"), ("XMP-photoshop:Credit", "Example Archive"),
                      ("XMP-photoshop:Source", "Glass plate 1911/42"), ("XMP-photoshop:Headline", "Temple of Apollo")):
        assert tags[key] == want, key


@pytest.mark.parametrize("label", list(OUTPUTS))
def test_descriptive_and_rights_fields_in_every_format_that_holds_them(carried, label):
    outputs, _ = carried
    for source in SOURCES:
        tags, side = outputs[(label, source)]
        where = f"{source} -> {label}"
        if label in HOLDS_XMP:
            _xmp_expectations(tags, source)
            # our note that a model made the colours comes first; the caption follows it
            assert tags["XMP-dc:Description"].startswith("Colourised by archcolour"), where
            assert tags["XMP-iptcExt:DigitalSourceType"].endswith("compositeWithTrainedAlgorithmicMedia"), where
        else:  # BMP holds no metadata: the sidecar is its only record (checked below)
            assert not any(k.startswith(("XMP", "IPTC", "IFD0", "ExifIFD")) for k in tags), (where, sorted(tags))
        if label in HOLDS_EXIF:
            assert tags["IFD0:Artist"] == "Jane Photographer", where
            assert tags["IFD0:Copyright"] == "(c) 1911 Example Archive", where  # legacy.jpg: from its IIM
            caption = GREEK if source == "legacy.jpg" else CAPTION
            assert caption in tags["IFD0:ImageDescription"], where  # UTF-8 where it is not ASCII
        if label in HOLDS_IIM and source in HAS_IIM:
            caption = GREEK if source == "legacy.jpg" else CAPTION
            assert caption in tags["IPTC:Caption-Abstract"], where
            assert tags["IPTC:Caption-Abstract"].startswith("Colourised by archcolour"), where  # = dc:description
            assert tags["IPTC:By-line"] == "Jane Photographer", where
            assert tags["IPTC:CopyrightNotice"] == "(c) 1911 Example Archive", where
            assert (tags["IPTC:DateCreated"], tags["IPTC:TimeCreated"]) == ("1911:05:14", "10:30:00+02:00"), where
            assert tags["IPTC:ObjectName"] == "Delphi 42", where
            assert tags["IPTC:City"] == "Delphi", where
            assert tags["IPTC:CodedCharacterSet"] == "UTF8", where
            assert "temple" in _listed(tags["IPTC:Keywords"]), where
            if source == "legacy.jpg":
                assert tags["IPTC:Contact"] == "archive@example.org", where  # no XMP twin: carried as it was
                assert "IPTC:OriginatingProgram" not in tags, where  # describes the source's file
            else:
                for key, want in (("IPTC:Headline", "Temple of Apollo"), ("IPTC:Credit", "Example Archive"),
                                  ("IPTC:Source", "Glass plate 1911/42"),
                                  ("IPTC:Country-PrimaryLocationName", "Greece"),
                                  ("IPTC:Sub-location", "Sanctuary of Apollo")):
                    assert tags[key] == want, (where, key)
                assert _listed(tags["IPTC:Keywords"]) == ["temple", "Delphi"], where
            if label == "jpg":  # the Photoshop block's digest matches the IIM: MWG readers trust both
                assert tags["Photoshop:IPTCDigest"] == tags["File:CurrentIPTCDigest"], where
        else:  # PNG, WebP and BMP hold no IIM; no IIM is made up for a source that had none
            assert not any(k.startswith("IPTC:") for k in tags), (where, sorted(k for k in tags if "IPTC" in k))
        # the sidecar records the carried fields too, whatever the format
        kept = side["kept"]
        assert kept["photoshop:DateCreated"] == "1911-05-14T10:30:00+02:00", where
        assert kept["dc:creator"] == ["Jane Photographer"], where
        if source != "exifonly.tif":
            assert kept["dc:title"] == {"x-default": "Delphi 42"}, where
        assert side["source"]["description"] == (GREEK if source == "legacy.jpg" else CAPTION), where


@pytest.mark.parametrize("label", list(OUTPUTS))
def test_the_capture_date_stays_the_capture_date(carried, label):
    """Processing time goes to xmp:ModifyDate/MetadataDate (and EXIF DateTime); the capture date is kept
    in EXIF DateTimeOriginal, XMP photoshop:DateCreated and IIM 2:55/2:60, never replaced."""
    outputs, before = carried

    def recent(date: str) -> bool:  # exiftool's '2026:12:01 06:08:07Z'
        return abs(int(str(date)[:4]) - before.year) <= 1
    for source in SOURCES:
        tags, side = outputs[(label, source)]
        where = f"{source} -> {label}"
        made = _dt.datetime.fromisoformat(side["created"].replace("Z", "+00:00"))
        assert made >= before, where
        if label in HOLDS_EXIF:
            assert tags["ExifIFD:DateTimeOriginal"] == TAKEN_EXIF, where
            assert recent(tags["IFD0:ModifyDate"]), where  # EXIF DateTime: when it was made
        if label in HOLDS_XMP:
            assert tags["XMP-photoshop:DateCreated"] == TAKEN_ZONED, where
            assert recent(tags["XMP-xmp:ModifyDate"]), where
            assert tags["XMP-xmp:MetadataDate"] == tags["XMP-xmp:ModifyDate"], where
            # xmp:CreateDate is the source's digitisation date when it had one, never our time
            assert not recent(tags.get("XMP-xmp:CreateDate", "1911")), where
            if source in FULL_SOURCES:
                assert tags["XMP-xmp:CreateDate"] == "1911:05:14 10:30:00", where


def test_outputs_read_back_by_archcolour_itself(carried):
    """inspect's reader and the loader see the carried fields too (no exiftool-only success)."""
    from archcolour.imageio import load_image
    from archcolour.provenance import iptc

    outputs, _ = carried
    for label in HOLDS_IIM:
        tags, side = outputs[(label, "fulljpg.jpg")]
        loaded = load_image(Path(tags["SourceFile"]))
        props = iptc.iim_to_xmp_props(loaded.meta.iptc, include_description=True)
        assert props["dc:title"] == {"x-default": "Delphi 42"}
        assert props["photoshop:DateCreated"] == "1911-05-14T10:30:00+02:00"
        assert props["dc:description"]["x-default"] == side["description"]


def test_outputs_validate_with_exiftool(carried):
    """``exiftool -validate -warning -a`` has nothing to say about any output. It used to report, on every
    JPEG, IFD0 without XResolution, YResolution, ResolutionUnit and YCbCrPositioning, and on JPEG, PNG and
    WebP a ComponentsConfiguration (and UserComment, FileSource) of type BYTE instead of UNDEFINED."""
    outputs, _ = carried
    files = sorted({tags["SourceFile"] for tags, _ in outputs.values()})
    # -G4 keeps every warning (Copy1:Warning, Copy2:Warning...): plain -j keeps the first only
    report = json.loads(_exiftool("-validate", "-warning", "-a", "-G4", "-j", *files).stdout)
    said = {r["SourceFile"]: [v for k, v in r.items() if k != "SourceFile"] for r in report}
    assert sorted(said) == files
    assert {f: v for f, v in said.items() if v != ["OK"]} == {}
