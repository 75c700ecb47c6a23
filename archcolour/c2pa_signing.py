"""Optional C2PA manifest (Content Credentials) signed with the user's certificate and key.

Needs the ``c2pa-python`` package (extra ``c2pa``); with no certificate configured, or without the
package, nothing is signed and nothing fails: :meth:`C2paConfig.resolve` returns None.

The manifest has a ``c2pa.actions.v2`` assertion: ``c2pa.opened`` on the source (added as a
``parentOf`` ingredient, read only) then ``c2pa.edited`` with the IPTC digital source type
``compositeWithTrainedAlgorithmicMedia``, archcolour as software agent and the model and engine
parameters. A lone self-signed certificate is refused by c2pa: use a leaf certificate issued by a CA
(chain PEM: leaf first, then the CA). Without a trust list a reader reports the signature as valid
but untrusted.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .formats import MIME_TYPES, format_from_suffix
from .fsutil import Written, atomic_write_bytes
from .provenance import DIGITAL_SOURCE_TYPE, Provenance

ENV_CERT = "ARCHCOLOUR_C2PA_CERT"
ENV_KEY = "ARCHCOLOUR_C2PA_KEY"
ENV_ALG = "ARCHCOLOUR_C2PA_ALG"
ENV_TSA = "ARCHCOLOUR_C2PA_TSA_URL"
SIGNABLE = ("JPEG", "PNG", "TIFF", "WEBP")


class C2paError(RuntimeError):
    """Signing was asked for and could not be done (message is one line)."""


def available() -> bool:
    try:
        import c2pa  # noqa: F401
    except Exception:  # noqa: BLE001 - missing package or its native library
        return False
    return True


@dataclass(frozen=True)
class C2paConfig:
    """A PEM certificate chain (leaf first) and its PEM private key."""

    cert: Path
    key: Path
    alg: str = "es256"  # es256 | es384 | es512 | ps256 | ps384 | ps512 | ed25519
    tsa_url: str | None = None

    @classmethod
    def resolve(cls, cert: str | os.PathLike | None = None, key: str | os.PathLike | None = None,
                environ: "dict[str, str] | None" = None) -> "C2paConfig | None":
        """The signing set-up: the certificate and key given (the CLI's ``--c2pa-cert``/``--c2pa-key``),
        each falling back to ``$ARCHCOLOUR_C2PA_CERT``/``$ARCHCOLOUR_C2PA_KEY``; the algorithm and
        time-stamp service from ``$ARCHCOLOUR_C2PA_ALG``/``$ARCHCOLOUR_C2PA_TSA_URL``. None when neither a
        certificate nor a key is given anywhere; :class:`C2paError` when only one of them is."""
        env = os.environ if environ is None else environ
        cert, key = cert or env.get(ENV_CERT), key or env.get(ENV_KEY)
        if not cert and not key:
            return None
        if not (cert and key):
            raise C2paError("C2PA signing needs both a certificate (--c2pa-cert) and a key (--c2pa-key)")
        return cls(Path(cert), Path(key), env.get(ENV_ALG, "es256"), env.get(ENV_TSA) or None)

    def check(self) -> None:
        """Raise :class:`C2paError` when signing cannot work (package missing, files unreadable)."""
        if not available():
            raise C2paError("C2PA signing needs the c2pa-python package (pip install 'archcolour[c2pa]')")
        for what, p in (("certificate", self.cert), ("private key", self.key)):
            if not Path(p).is_file():
                raise C2paError(f"C2PA {what} {p} not found")
        pem = Path(self.cert).read_bytes()
        if b"BEGIN CERTIFICATE" not in pem:
            raise C2paError(f"C2PA certificate {self.cert} is not a PEM certificate chain")


def manifest_definition(prov: Provenance, output_name: str, mime: str, with_ingredient: bool) -> dict[str, Any]:
    edited = {
        "action": "c2pa.edited",
        "digitalSourceType": DIGITAL_SOURCE_TYPE,
        "softwareAgent": {"name": prov.tool_name, "version": prov.tool_version},
        "description": prov.description,
        "parameters": {
            "model": prov.model_name, "model_version": prov.model_version, "model_sha256": prov.model_sha256,
            "working_size": prov.working_size, "seed": prov.seed, "device": prov.device,
            "source_sha256": prov.source_sha256,
        },
    }
    actions = [edited]
    if with_ingredient:
        actions.insert(0, {"action": "c2pa.opened", "parameters": {"ingredientIds": ["source"]}})
    else:
        actions.insert(0, {"action": "c2pa.created", "digitalSourceType": DIGITAL_SOURCE_TYPE})
    return {
        "claim_generator_info": [{"name": prov.tool_name, "version": prov.tool_version}],
        "title": output_name,
        "format": mime,
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": actions}}],
    }


def sign_output(output: str | os.PathLike, prov: Provenance, config: C2paConfig,
                source: str | os.PathLike | None = None) -> Written:
    """Embed a signed C2PA manifest in ``output``; returns the signed file (its SHA-256 and size).

    The file is signed in memory, the signed bytes are validated, then written back with the one
    durable atomic writer (:func:`archcolour.fsutil.atomic_write_bytes`). The source is only read
    (as the ``parentOf`` ingredient). Raises :class:`C2paError`.
    """
    config.check()
    import c2pa

    output = Path(output)
    fmt = format_from_suffix(output.suffix)
    if fmt not in SIGNABLE:
        raise C2paError(f"C2PA signing is not supported for {output.suffix} files")
    mime = MIME_TYPES[fmt]
    src = Path(source) if source is not None else None
    src_fmt = format_from_suffix(src.suffix) if src is not None else None
    with_ingredient = src is not None and src.is_file() and src_fmt in SIGNABLE
    try:
        info = c2pa.C2paSignerInfo(alg=config.alg.lower().encode(), sign_cert=Path(config.cert).read_bytes(),
                                   private_key=Path(config.key).read_bytes(),
                                   ta_url=config.tsa_url.encode() if config.tsa_url else None)
        signer = c2pa.Signer.from_info(info)
        builder = c2pa.Builder(manifest_definition(prov, output.name, mime, with_ingredient))
        if with_ingredient:
            with open(src, "rb") as f:
                builder.add_ingredient({"title": src.name, "relationship": "parentOf", "label": "source",
                                        "instance_id": prov.source_instance_id or prov.source_document_id or ""},
                                       MIME_TYPES[src_fmt], f)
        signed = io.BytesIO()
        with open(output, "rb") as s:
            builder.sign(signer, mime, s, signed)
        _verify(signed, mime)
    except C2paError:
        raise
    except Exception as e:  # noqa: BLE001 - c2pa raises its own error types
        raise C2paError(f"C2PA signing failed: {' '.join(str(e).split()) or type(e).__name__}") from None
    return atomic_write_bytes(output, signed.getvalue())


#: Validation failures expected without a trust list / network; anything else means a broken signature.
_TOLERATED = {"signingCredential.untrusted", "signingCredential.ocsp.skipped", "timeStamp.untrusted"}


def _verify(signed: io.BytesIO, mime: str) -> None:
    """Read the freshly signed bytes back; refuse them when their manifest does not validate."""
    import c2pa

    signed.seek(0)
    reader = c2pa.Reader(mime, signed)
    state = reader.get_validation_state()
    results = reader.get_validation_results() or {}
    failures = [x.get("code") for x in (results.get("activeManifest") or {}).get("failure", [])]
    bad = [c for c in failures if c not in _TOLERATED]
    if state == "Invalid" or bad:
        raise C2paError(f"C2PA signing failed: the signed manifest does not validate ({', '.join(bad) or state}); "
                        "check that the key matches the certificate")


def read_c2pa(path: str | os.PathLike) -> dict[str, Any] | None:
    """{'validation_state', 'claim_generator', 'signer', 'actions'} of a file's C2PA manifest, or None."""
    if not available():
        return None
    from .formats import sniff

    try:  # the C2PA reader loads the whole file: only for a file that is an image at all
        with open(path, "rb") as f:
            if sniff(f.read(16)) is None:
                return None
    except OSError:
        return None
    import c2pa

    try:
        reader = c2pa.Reader(str(path))
        m = reader.get_active_manifest() or {}
        state = reader.get_validation_state()
    except Exception as e:  # noqa: BLE001 - c2pa raises its own error types
        text = " ".join(str(e).split()) or type(e).__name__
        if "ManifestNotFound" in type(e).__name__ or "ManifestNotFound" in text:
            return None  # no manifest: nothing to report
        # a manifest is there but cannot be read: say so, never "none"
        return {"validation_state": "corrupt", "error": text, "claim_generator": "", "signer": None,
                "issuer": None, "actions": [], "ingredients": []}
    actions = []
    for a in m.get("assertions", []):
        if str(a.get("label", "")).startswith("c2pa.actions"):
            actions.extend(a.get("data", {}).get("actions", []))
    sig = m.get("signature_info") or {}
    gen = (m.get("claim_generator_info") or [{}])[0]
    return {"validation_state": state, "claim_generator": f"{gen.get('name', '')} {gen.get('version', '')}".strip(),
            "signer": sig.get("common_name") or sig.get("issuer"), "issuer": sig.get("issuer"),
            "actions": [{k: v for k, v in a.items() if k in ("action", "digitalSourceType", "softwareAgent")}
                        for a in actions],
            "ingredients": [i.get("title") for i in m.get("ingredients", [])]}


def describe(c2: dict[str, Any] | None) -> str:
    if not c2:
        return "  C2PA:                none"
    if c2.get("validation_state") == "corrupt":
        return f"  C2PA:                CORRUPT manifest, cannot be read ({c2.get('error')})"
    acts = ", ".join(a.get("action", "?") for a in c2.get("actions", []))
    return (f"  C2PA:                {c2.get('validation_state')} manifest signed by {c2.get('signer')} "
            f"(issuer {c2.get('issuer')}); actions: {acts}; ingredients: {', '.join(c2.get('ingredients') or []) or 'none'}")


__all__ = ["C2paConfig", "C2paError", "available", "describe", "manifest_definition", "read_c2pa", "sign_output"]
