"""The one table of image formats, and the one output-format vocabulary (torch-free, Qt-free).

Everything that needs to know about a format asks this module: the loader (magic bytes), the folder
walk (extensions), the writer (what it can write, at which bit depths), provenance and C2PA (MIME
types), the CLI ``--format`` choices, settings validation and the GUI's format combo. Adding a format
is one row in :data:`FORMATS`; adding an output choice is one row in :data:`OUTPUT_CHOICES`.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Format:
    """One image format."""

    name: str  # Pillow's format name ('JPEG'); also what save_image takes
    extensions: tuple[str, ...]  # lower case, with the dot; the first is the one outputs get
    mime: str
    magic: tuple[bytes, ...]  # file starts (WebP: checked at offset 8, see sniff)
    bit_depths: tuple[int, ...] = ()  # bits per channel save_image writes; () = not written
    embeds: tuple[str, ...] = ()  # metadata save_image embeds: of 'xmp', 'iptc' (IIM), 'exif', 'icc', 'dpi'
    xmp_container: str | None = None  # where the XMP packet lives (what `inspect` reports)
    in_folders: bool = True  # picked up when walking an input folder

    @property
    def writable(self) -> bool:
        return bool(self.bit_depths)

    @property
    def extension(self) -> str:
        return self.extensions[0]


#: Every format archcolour knows, by Pillow name.
FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("JPEG", (".jpg", ".jpeg", ".jpe", ".jfif"), "image/jpeg", (b"\xff\xd8\xff",), (8,),
           ("xmp", "iptc", "exif", "icc", "dpi"), "JPEG APP1 XMP segment"),
    Format("PNG", (".png",), "image/png", (b"\x89PNG\r\n\x1a\n",), (8, 16),
           ("xmp", "exif", "icc", "dpi"), "PNG iTXt chunk 'XML:com.adobe.xmp'"),
    Format("TIFF", (".tif", ".tiff"), "image/tiff", (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"), (8, 16),
           ("xmp", "iptc", "exif", "icc", "dpi"), "TIFF tag 700 (XMLPacket)"),
    Format("WEBP", (".webp",), "image/webp", (b"WEBP",), (8,), ("xmp", "exif", "icc"), "WebP XMP chunk"),
    Format("BMP", (".bmp",), "image/bmp", (b"BM",), (8,), ("dpi",)),
    # read when named explicitly (first frame), never written and not picked up from folders
    Format("GIF", (".gif",), "image/gif", (b"GIF87a", b"GIF89a"), (), in_folders=False),
)}

_BY_SUFFIX = {ext: f for f in FORMATS.values() for ext in f.extensions}

#: Extensions (lower case, with the dot) picked up when walking an input folder.
FOLDER_EXTENSIONS: tuple[str, ...] = tuple(e for f in FORMATS.values() if f.in_folders for e in f.extensions)
#: Pillow names of the formats save_image writes.
WRITABLE: tuple[str, ...] = tuple(f.name for f in FORMATS.values() if f.writable)
#: Format name -> MIME type.
MIME_TYPES: dict[str, str] = {f.name: f.mime for f in FORMATS.values()}
TIFF_MAGIC: tuple[bytes, ...] = FORMATS["TIFF"].magic


def format_from_suffix(suffix: str) -> str | None:
    """'JPEG', 'PNG', ... for a file suffix ('.jpe', 'TIF', 'photo.jfif' all work), or None."""
    s = suffix.lower()
    if "." in s[1:]:
        s = s[s.rindex("."):]
    f = _BY_SUFFIX.get(s if s.startswith(".") else "." + s)
    return f.name if f else None


def format_for_extension(ext: str) -> str:
    """Like :func:`format_from_suffix` for a *writable* format; raises ValueError otherwise."""
    name = format_from_suffix(ext)
    if name is None or not FORMATS[name].writable:
        raise ValueError(f"no output format for extension {ext!r}")
    return name


def normalise_format(fmt: str) -> str:
    """'jpg' / 'JPEG' / 'tif' / 'TIFF' ... -> a writable Pillow name; ValueError otherwise."""
    name = fmt.upper()
    name = format_from_suffix(name) or name
    if name not in FORMATS or not FORMATS[name].writable:
        raise ValueError(f"unsupported output format {fmt!r} (choose from {', '.join(WRITABLE)})")
    return name


def sniff(head: bytes) -> str | None:
    """The format of a file from its first 12 bytes (None when unknown)."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    for f in FORMATS.values():
        if f.name != "WEBP" and any(head.startswith(m) for m in f.magic):
            return f.name
    return None


# ------------------------------------------------------------------------------------------------
# the output-format vocabulary (CLI --format, settings "fmt", GUI combo, batch planning)
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OutputChoice:
    key: str  # what the CLI takes and settings store
    label: str  # what the GUI shows
    format: str | None  # Pillow name; None = the source's own format (PNG when it cannot be written)
    gui_bit_depth: str = "auto"  # bit depth the GUI asks for ('auto', '8' or '16'); the CLI has --bit-depth

    @property
    def extension(self) -> str | None:
        return FORMATS[self.format].extension if self.format else None


OUTPUT_CHOICES: tuple[OutputChoice, ...] = (
    OutputChoice("same", "Same as input", None),
    OutputChoice("png", "PNG", "PNG"),
    OutputChoice("jpg", "JPEG", "JPEG", "8"),
    OutputChoice("tif", "16-bit TIFF", "TIFF", "16"),
    OutputChoice("webp", "WebP", "WEBP", "8"),
    OutputChoice("bmp", "BMP", "BMP", "8"),
)
OUTPUT_KEYS: tuple[str, ...] = tuple(c.key for c in OUTPUT_CHOICES)
_CHOICE = {c.key: c for c in OUTPUT_CHOICES}
#: Other spellings accepted for a choice (older settings files, `--format jpeg`).
_ALIASES = {"jpeg": "jpg", "tiff": "tif", "tiff16": "tif"}
#: Fallback for "same" when the source's format cannot be written (e.g. GIF).
SAME_FALLBACK = "PNG"


def output_choice(key: str | None) -> OutputChoice:
    """The choice for a key ('same', 'png', 'jpg', 'tif', 'webp', 'bmp'; also 'jpeg', 'tiff', 'PNG'...)."""
    k = (key or "same").lower()
    k = _ALIASES.get(k, k)
    try:
        return _CHOICE[k]
    except KeyError:
        raise ValueError(f"unknown output format {key!r} (choose from {', '.join(OUTPUT_KEYS)})") from None


def output_extension(source: str | Path, key: str | None = "same") -> str:
    """The extension of the output of ``source`` for an output choice."""
    choice = output_choice(key)
    if choice.extension:
        return choice.extension
    ext = Path(source).suffix.lower()
    fmt = format_from_suffix(ext)
    if fmt is None or not FORMATS[fmt].writable:
        return FORMATS[SAME_FALLBACK].extension
    return ext


# ------------------------------------------------------------------------------------------------
# temporary files: ".<final name>.<8 hex digits>.tmp" beside the final file
# ------------------------------------------------------------------------------------------------
TEMP_GLOB = ".*.tmp"
TEMP_RE = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")


#: Longest file name, in bytes, on the file systems archcolour writes to (ext4, XFS, Btrfs, APFS, NTFS).
NAME_MAX = 255
_TEMP_EXTRA = len(".") + len(".01234567.tmp")


def temp_stem(name: str) -> str:
    """What a temporary file's name carries of the final ``name``: the name itself, or, for a name too
    long to take the 14 extra bytes, its start plus a hash of the whole (so a 251-byte output name still
    gets a temporary file, and the stale-temp clean-up still knows whose it is)."""
    raw = os.fsencode(name)
    if len(raw) + _TEMP_EXTRA <= NAME_MAX:
        return name
    digest = hashlib.sha256(raw).hexdigest()[:12]
    return os.fsdecode(raw[:NAME_MAX - _TEMP_EXTRA - 1 - len(digest)]) + "~" + digest


def temp_name_for(path: str | Path) -> Path:
    """The temporary name ``path`` is written under before it is renamed into place."""
    path = Path(path)
    return path.with_name(f".{temp_stem(path.name)}.{secrets.token_hex(4)}.tmp")


__all__ = ["FOLDER_EXTENSIONS", "FORMATS", "Format", "MIME_TYPES", "OUTPUT_CHOICES", "OUTPUT_KEYS", "OutputChoice",
           "NAME_MAX", "SAME_FALLBACK", "TEMP_GLOB", "TEMP_RE", "TIFF_MAGIC", "WRITABLE", "format_for_extension",
           "format_from_suffix", "normalise_format", "output_choice", "output_extension", "sniff", "temp_name_for",
           "temp_stem"]
