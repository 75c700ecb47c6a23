"""Provenance of colourised images: XMP packet, sidecar JSON, batch manifest, ``inspect``.

Every image archcolour writes says, in the file itself (XMP) and beside it (``<output>.json``), that
its colour was added by a trained model, from which source, with which model and how; the fields and
where they go per format are listed in ``docs/PROVENANCE.md``. No Qt, no torch.

Modules, one job each:

``record``   the :class:`Provenance` record and THE field table (sidecar and XMP forms, both ways)
``iptc``     which source fields are kept; legacy IPTC-IIM read, and written back for JPEG/TIFF outputs
``descriptive`` the source's descriptive fields from its XMP, IIM and EXIF (MWG order); the capture date
``xmp``      the XMP writer (:func:`to_xmp`), parser (:func:`parse_xmp`) and file reader
``output``   :func:`build_provenance`, :func:`output_metadata` (what ``save_image`` embeds)
``store``    sidecars, ``manifest.jsonl`` (folder lock, never through a symbolic link)
``report``   :func:`read_provenance`, :func:`format_provenance` (``archcolour inspect``)
"""
from __future__ import annotations

from ..fsutil import atomic_write_bytes, sha256_file
from .iptc import iim_to_xmp_props, is_kept, kept_fields
from .output import (OutputMetadata, build_provenance, exif_for_output, format_from_suffix, icc_description,
                     icc_for_output, output_metadata, srgb_profile)
from .record import (ARCHCOLOUR_NS, DIGITAL_SOURCE_TYPE, FIELDS, MIME_TYPES, SCHEMA, TOOL_NAME, Field, Provenance,
                     ProvenanceError, utc_now)
from .report import format_provenance, printable, read_provenance
from .store import (LOCK_NAME, MANIFEST_NAME, SIDECAR_SUFFIX, TEMP_RE, FolderLock, ManifestWriter, UnsafePathError,
                    cleanup_stale_temps, embedded_provenance, is_own_output, iter_items, provenance_from_xmp, read_manifest, read_sidecar, repair_sidecar,
                    sidecar_dict, sidecar_path, write_sidecar)
from .xmp import JPEG_XMP_LIMIT, NS, XMP_CONTAINERS, parse_xmp, read_embedded_xmp, to_xmp, xml_safe


__all__ = [
    "ARCHCOLOUR_NS", "DIGITAL_SOURCE_TYPE", "FIELDS", "JPEG_XMP_LIMIT", "LOCK_NAME", "MANIFEST_NAME", "MIME_TYPES",
    "NS", "SCHEMA", "SIDECAR_SUFFIX", "TEMP_RE", "TOOL_NAME", "XMP_CONTAINERS", "Field", "FolderLock",
    "ManifestWriter", "OutputMetadata", "Provenance", "ProvenanceError", "UnsafePathError", "atomic_write_bytes",
    "build_provenance", "cleanup_stale_temps", "embedded_provenance", "exif_for_output", "format_from_suffix",
    "format_provenance", "icc_description", "icc_for_output", "iim_to_xmp_props", "is_kept", "is_own_output", "iter_items",
    "kept_fields", "output_metadata", "parse_xmp", "printable", "provenance_from_xmp", "read_embedded_xmp",
    "read_manifest", "read_provenance", "read_sidecar", "repair_sidecar", "sha256_file", "sidecar_dict",
    "sidecar_path", "srgb_profile", "to_xmp", "utc_now", "write_sidecar", "xml_safe",
]
