"""The provenance record of one output, and THE field table.

:data:`FIELDS` is the one schema: each row says where a value lives in the sidecar JSON (``path``)
and in the XMP packet (``xmp``), and of what kind it is. ``Provenance.to_dict`` (sidecar form),
``Provenance.from_dict`` (its inverse), :func:`xmp_properties` (what the XMP writer puts in the packet)
and :func:`dict_from_xmp` (a parsed packet back to the sidecar form) are all generated from it, so a
field is added in one place.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..formats import MIME_TYPES

TOOL_NAME = "archcolour"
SCHEMA = "archcolour-provenance/1"
#: IPTC NewsCodes term for "a photograph whose content was changed by a trained model".
DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
#: Private namespace for engine parameters that no public schema covers.
ARCHCOLOUR_NS = "urn:archcolour:xmp:provenance:1.0#"


class ProvenanceError(ValueError):
    """An XMP packet or sidecar that cannot be read, or a provenance file that must not be written."""


def utc_now() -> str:
    """Current UTC time, ISO 8601 with a 'Z' and whole seconds (XMP Date)."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Field:
    """One provenance value: its attribute, its place in the sidecar and in the XMP packet.

    ``xmp`` lists the XMP properties it is written to (the first one present is read back);
    ``"Struct/member"`` names a member of a struct property. ``kind``: text | int | list | alt
    (language alternative) | mime (a format name written as its MIME type). ``derived`` values are
    computed from the others: written, and read back from XMP as recorded, never into a Provenance.
    ``path`` None: XMP only.
    """

    attr: str
    path: tuple[str, ...] | None
    xmp: tuple[str, ...] = ()
    kind: str = "text"
    derived: bool = False
    default: Any = None


FIELDS: tuple[Field, ...] = (
    Field("schema", ("schema",), ("archcolour:SchemaVersion",), derived=True),
    Field("digital_source_type", ("digital_source_type",), ("Iptc4xmpExt:DigitalSourceType",),
          default=DIGITAL_SOURCE_TYPE),
    Field("description", ("description",), ("dc:description",), kind="alt", derived=True),
    # when this output was made; xmp:CreateDate is the source's (digitisation), kept with its other fields
    Field("created", ("created",), ("xmp:ModifyDate", "xmp:MetadataDate"), default=""),
    Field("creator_tool", None, ("xmp:CreatorTool",), derived=True),
    Field("document_id", ("document_id",), ("xmpMM:DocumentID",), default=""),
    Field("instance_id", ("instance_id",), ("xmpMM:InstanceID",), default=""),
    Field("tool_name", ("tool", "name"), ("archcolour:ToolName",), default=TOOL_NAME),
    Field("tool_version", ("tool", "version"), ("archcolour:ToolVersion",), default=""),
    Field("ai_system", ("ai_system", "used"), ("Iptc4xmpExt:AISystemUsed",), derived=True),
    Field("ai_system_version", ("ai_system", "version_used"), ("Iptc4xmpExt:AISystemVersionUsed",), derived=True),
    Field("model_name", ("model", "name"), ("archcolour:ModelName",), default=""),
    Field("model_version", ("model", "version"), ("archcolour:ModelVersion",), default=""),
    Field("model_architecture", ("model", "architecture"), ("archcolour:ModelArchitecture",), default=""),
    Field("model_sha256", ("model", "sha256"), ("archcolour:ModelSHA256",), default=""),
    Field("working_size", ("engine", "working_size"), ("archcolour:WorkingSize",), kind="int", default=0),
    Field("seed", ("engine", "seed"), ("archcolour:Seed",), kind="int", default=0),
    Field("device", ("engine", "device"), ("archcolour:Device",), default=""),
    Field("device_name", ("engine", "device_name"), ("archcolour:DeviceName",), default=""),
    Field("upsampling", ("engine", "upsampling"), ("archcolour:Upsampling",), default=""),
    Field("ensemble", ("engine", "ensemble"), ("archcolour:Ensemble",), default=""),
    Field("vividness", ("guidance", "vividness"), ("archcolour:Vividness",), kind="float", default=1.0),
    Field("hints", ("guidance", "hints"), ("archcolour:Hints",), kind="json", default=[]),
    Field("reference_name", ("guidance", "reference", "name"), ("archcolour:ReferenceFileName",)),
    Field("reference_sha256", ("guidance", "reference", "sha256"), ("archcolour:ReferenceSHA256",)),
    Field("source_name", ("source", "name"), ("archcolour:SourceFileName", "xmpMM:DerivedFrom/stRef:filePath"),
          default=""),
    Field("source_size", ("source", "size"), ("archcolour:SourceFileSize",), kind="int"),
    Field("source_sha256", ("source", "sha256"), ("archcolour:SourceSHA256",), default=""),
    Field("source_mtime_ns", ("source", "mtime_ns"), ("archcolour:SourceModifiedNs",), kind="int"),
    Field("source_format", ("source", "format"), ("archcolour:SourceFormat",)),
    Field("source_document_id", ("source", "document_id"), ("xmpMM:DerivedFrom/stRef:documentID",)),
    Field("source_instance_id", ("source", "instance_id"), ("xmpMM:DerivedFrom/stRef:instanceID",)),
    Field("source_original_document_id", ("source", "original_document_id"), ("xmpMM:OriginalDocumentID",)),
    Field("source_description", ("source", "description"), ("archcolour:SourceDescription",)),
    Field("source_icc_profile", ("source", "icc_profile"), ("archcolour:SourceICCProfile",)),
    Field("output_name", ("output", "name")),
    Field("output_format", ("output", "format"), ("dc:format",), kind="mime"),
    Field("output_mime", ("output", "mime_type"), ("dc:format",), derived=True),
    Field("output_colour_space", ("output", "colour_space"), ("archcolour:OutputColourSpace",), default="sRGB"),
    Field("kept", ("kept",), kind="dict", default={}),
    Field("warnings", ("warnings",), ("archcolour:Warnings",), kind="list", default=[]),
    Field("notes", ("notes",), ("archcolour:Notes",), kind="list", default=[]),
)
#: XMP properties our packets carry besides the table's (they make a packet "ours" when read back).
OWN_PREFIX = "archcolour:"


@dataclass
class Provenance:
    """Provenance of one colourised output. ``to_dict`` is the sidecar's JSON shape."""

    source_name: str
    source_sha256: str
    source_size: int | None
    model_name: str
    model_version: str
    model_sha256: str
    working_size: int
    seed: int
    device: str
    created: str = field(default_factory=utc_now)
    model_architecture: str = ""
    device_name: str = ""
    source_mtime_ns: int | None = None
    source_format: str | None = None
    source_document_id: str | None = None
    source_instance_id: str | None = None
    source_original_document_id: str | None = None
    source_description: str | None = None
    source_icc_profile: str | None = None
    output_name: str | None = None
    output_format: str | None = None
    output_colour_space: str = "sRGB"
    document_id: str = field(default_factory=lambda: f"xmp.did:{uuid.uuid4()}")
    instance_id: str = field(default_factory=lambda: f"xmp.iid:{uuid.uuid4()}")
    tool_name: str = TOOL_NAME
    tool_version: str = __version__
    digital_source_type: str = DIGITAL_SOURCE_TYPE
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: descriptive fields kept from the source ("dc:title" -> value, as parse_xmp gives them)
    kept: dict[str, Any] = field(default_factory=dict)
    #: how the colour was brought to full resolution ("guided" or "bilinear"; "" when not recorded)
    upsampling: str = ""
    #: the test-time ensemble (archcolour.choices.ENSEMBLES; "" when not recorded: outputs before it)
    ensemble: str = ""
    #: the user's guidance: chroma scale, colour hints (points as in archcolour.hints), reference photo
    vividness: float = 1.0
    hints: list[dict[str, Any]] = field(default_factory=list)
    reference_name: str | None = None
    reference_sha256: str | None = None

    @property
    def guided_by_user(self) -> bool:
        return bool(self.hints or self.reference_sha256)

    @property
    def guidance_text(self) -> str:
        """One sentence on the user's guidance, or '' when there was none."""
        parts = []
        if self.hints:
            parts.append(f"{len(self.hints)} colour hint{'s' if len(self.hints) != 1 else ''}")
        if self.reference_sha256:
            parts.append(f"the reference photograph {self.reference_name or ''}".rstrip())
        text = f" The colours were guided by the user ({' and '.join(parts)})." if parts else ""
        if self.vividness != 1.0:
            text += f" Vividness {self.vividness:g}."
        return text

    # -- derived text ---------------------------------------------------------------------------
    schema = SCHEMA

    @property
    def creator_tool(self) -> str:
        return f"{self.tool_name} {self.tool_version}"

    @property
    def ai_system(self) -> str:
        arch = f" ({self.model_architecture})" if self.model_architecture else ""
        return f"{self.tool_name} colouriser model {self.model_name}{arch}"

    @property
    def ai_system_version(self) -> str:
        return f"{self.model_version}; weights sha256:{self.model_sha256[:12]}"

    @property
    def output_mime(self) -> str | None:
        return MIME_TYPES.get((self.output_format or "").upper())

    @property
    def description(self) -> str:
        text = (
            f"Colourised by {self.tool_name} {self.tool_version} with model {self.model_name} "
            f"(version {self.model_version}) from {self.source_name}; the colours are a machine estimate, "
            "not a historical record."
        ) + self.guidance_text
        if self.source_description:
            text += f" Original description: {self.source_description}"
        return text

    # -- the sidecar form, both ways (from the table) -------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        for f in FIELDS:
            if f.path is not None:
                v = getattr(self, f.attr)
                _put(d, f.path, list(v) if f.kind in ("list", "json") else (dict(v) if f.kind == "dict" else v))
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Provenance":
        kw = {}
        for f in FIELDS:
            if f.derived or f.path is None:
                continue
            v = _get(d, f.path)
            if v is None:
                v = f.default
            if f.kind == "int" and v is not None:
                v = _int(v) if f.default is None else (_int(v) or 0)
            elif f.kind == "list":
                v = [str(x) for x in (v or [])]
            elif f.kind == "dict":
                v = dict(v or {})
            elif f.kind == "float":
                v = _float(v, f.default)
            elif f.kind == "json":
                v = [x for x in v if isinstance(x, dict)] if isinstance(v, list) else list(f.default)
            kw[f.attr] = v
        return cls(**kw)


def _put(d: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for k in path[:-1]:
        d = d.setdefault(k, {})
    d[path[-1]] = value


def _get(d: dict[str, Any], path: tuple[str, ...]) -> Any:
    for k in path:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def _int(v: Any) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _float(v: Any, default: float) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return default
    return f if math.isfinite(f) else default


def alt_text(v: Any) -> str | None:
    """A plain string from a language alternative, a list or a string."""
    if isinstance(v, dict):
        return v.get("x-default") or next(iter(v.values()), None)
    if isinstance(v, list):
        return ", ".join(str(x) for x in v) or None
    return v or None


# ---------------------------------------------------------------------------------------------
# the XMP form, both ways (from the same table)
# ---------------------------------------------------------------------------------------------
def xmp_properties(prov: Provenance) -> dict[str, Any]:
    """Every table value as XMP properties, in table order: 'prefix:Name' -> plain value.

    Struct members (``Struct/member``) are gathered into a dict under the struct's key; empty values
    are left out; a key already set by an earlier row is not set again.
    """
    props: dict[str, Any] = {}
    for f in FIELDS:
        v = getattr(prov, f.attr)
        if f.kind == "mime":
            v = MIME_TYPES.get((v or "").upper())
        elif f.kind == "alt" and v:
            v = {"x-default": v}
        elif f.kind == "list":
            v = [str(x) for x in v]
        elif f.kind == "float":
            v = None if v == f.default else f"{v:g}"
        elif f.kind == "json":
            v = json.dumps(v, separators=(",", ":")) if v else None
        if v is None or v == "" or v == []:
            continue
        for key in f.xmp:
            top, _, member = key.partition("/")
            if member:
                props.setdefault(top, {}).setdefault(member, v)
            else:
                props.setdefault(top, v)
    return props


def is_own_packet(props: dict[str, Any]) -> bool:
    """Does a parsed packet carry archcolour provenance (our namespace or the AI source type)?"""
    return any(k.startswith(OWN_PREFIX) for k in props) or bool(props.get("Iptc4xmpExt:DigitalSourceType"))


def dict_from_xmp(props: dict[str, Any], kept: dict[str, Any]) -> dict[str, Any]:
    """The sidecar-shaped dict from parsed XMP properties (values as recorded, nothing recomputed)."""
    d: dict[str, Any] = {}
    for f in FIELDS:
        if f.path is None:
            continue
        v = None
        for key in f.xmp:
            top, _, member = key.partition("/")
            got = props.get(top)
            if member:
                got = got.get(member) if isinstance(got, dict) else None
            if got not in (None, ""):
                v = got
                break
        if f.kind == "int":
            v = _int(v)
        elif f.kind == "alt":
            v = alt_text(v)
        elif f.kind == "mime":
            v = next((fmt for fmt, m in MIME_TYPES.items() if m == v), None)
        elif f.kind == "list":
            v = [str(x) for x in v] if isinstance(v, list) else ([str(v)] if v else [])
        elif f.kind == "dict":
            v = dict(kept)
        elif f.kind == "float":
            v = _float(v, f.default)
        elif f.kind == "json":
            try:
                v = json.loads(v) if isinstance(v, str) else None
            except ValueError:
                v = None
            v = [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []
        elif isinstance(v, (dict, list)):
            v = None  # a struct where text belongs: not ours
        if v is None and f.default == "":
            v = ""  # empty text is not written to XMP: read back as recorded
        _put(d, f.path, v)
    if d.get("schema") is None:
        d["schema"] = SCHEMA
    return d
