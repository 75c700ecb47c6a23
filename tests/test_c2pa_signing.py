"""Optional C2PA signing: skipped cleanly without a certificate; with a local test CA + leaf it signs."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archcolour import c2pa_signing as C, cli, provenance as P

from testdeps import require  # noqa: E402

require("c2pa")  # skipped locally when missing, a failure under CI=true
crypto = require("cryptography")

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "archcolour tests")])


def _usage(sign: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


def _cert(subject, issuer, pub, signing_key, *, ca: bool, issuer_pub=None) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(pub)
         .serial_number(x509.random_serial_number())
         .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
         .add_extension(_usage(sign=not ca, ca=ca), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False))
    if not ca:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_pub), critical=False)
    return b.sign(signing_key, hashes.SHA256())


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory) -> dict[str, Path]:
    """A local CA, a leaf signing certificate issued by it (chain PEM, leaf first), its key, another key."""
    d = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert(_name("archcolour test CA"), _name("archcolour test CA"), ca_key.public_key(), ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _cert(_name("archcolour test signer"), ca.subject, key.public_key(), ca_key, ca=False,
                 issuer_pub=ca_key.public_key())
    pem = serialization.Encoding.PEM
    (d / "chain.pem").write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    (d / "key.pem").write_bytes(_pem_key(key))
    (d / "other_key.pem").write_bytes(_pem_key(ec.generate_private_key(ec.SECP256R1())))
    return {"chain": d / "chain.pem", "key": d / "key.pem", "other_key": d / "other_key.pem"}


def _sources(folder: Path) -> list[Path]:
    folder.mkdir()
    y, x = np.mgrid[0:24, 0:32]
    g = ((x * 7 + y * 3) % 200 + 20).astype(np.uint8)
    a, b = folder / "arch.png", folder / "column.jpg"
    Image.fromarray(g).save(a)
    Image.fromarray(g).save(b, quality=92)
    return [a, b]


def test_without_a_certificate_nothing_is_signed(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(C.ENV_CERT, raising=False)
    monkeypatch.delenv(C.ENV_KEY, raising=False)
    assert C.C2paConfig.resolve() is None
    src = _sources(tmp_path / "in")
    assert cli.main(["colourise", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-q"]) == 0
    for s in src:
        out = tmp_path / "out" / f"{s.stem}_colourised{s.suffix}"
        assert C.read_c2pa(out) is None
        assert P.read_provenance(out)["digital_source_type"] == P.DIGITAL_SOURCE_TYPE
    capsys.readouterr()
    assert cli.main(["inspect", str(tmp_path / "out" / "arch_colourised.png")]) == 0
    assert "C2PA:                none" in capsys.readouterr().out


def test_signed_outputs_carry_a_valid_manifest_with_the_edit(tmp_path, test_ca, capsys):
    src = _sources(tmp_path / "in")
    before = {s: P.sha256_file(s) for s in src}
    rc = cli.main(["colourise", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-q",
                   "--c2pa-cert", str(test_ca["chain"]), "--c2pa-key", str(test_ca["key"])])
    assert rc == 0, capsys.readouterr()
    for s in src:
        out = tmp_path / "out" / f"{s.stem}_colourised{s.suffix}"
        c2 = C.read_c2pa(out)
        assert c2 is not None and c2["validation_state"] in ("Valid", "Trusted")  # no trust list: untrusted
        assert c2["signer"] == "archcolour test signer"
        edited = [a for a in c2["actions"] if a["action"] == "c2pa.edited"]
        assert edited and edited[0]["digitalSourceType"] == P.DIGITAL_SOURCE_TYPE
        assert edited[0]["softwareAgent"]["name"] == "archcolour"
        assert c2["ingredients"] == [s.name]
        # the XMP survives signing, and the sidecar describes the signed bytes
        prov = P.read_provenance(out)
        assert prov["found_in"][0] == P.XMP_CONTAINERS[P.format_from_suffix(s.suffix)]
        assert prov["output_sha256_matches"] is True
        with Image.open(out) as im:
            im.load()
        assert not list((tmp_path / "out").glob(".*.tmp"))
    assert {s: P.sha256_file(s) for s in src} == before
    capsys.readouterr()
    assert cli.main(["inspect", str(tmp_path / "out" / "column_colourised.jpg")]) == 0
    text = capsys.readouterr().out
    assert "manifest signed by archcolour test signer" in text and "c2pa.edited" in text


def test_a_key_that_does_not_match_the_certificate_fails_the_item_and_leaves_no_output(tmp_path, test_ca, capsys):
    _sources(tmp_path / "in")
    rc = cli.main(["colourise", str(tmp_path / "in" / "arch.png"), "-o", str(tmp_path / "out"), "-q",
                   "--c2pa-cert", str(test_ca["chain"]), "--c2pa-key", str(test_ca["other_key"])])
    err = capsys.readouterr().err
    assert rc == 1 and "C2PA signing failed" in err
    assert not (tmp_path / "out" / "arch_colourised.png").exists()
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_half_a_configuration_is_a_usage_error(tmp_path, test_ca, capsys):
    _sources(tmp_path / "in")
    rc = cli.main(["colourise", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--c2pa-cert",
                   str(test_ca["chain"])])
    assert rc == 2 and "needs both a certificate" in capsys.readouterr().err
    rc = cli.main(["colourise", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--c2pa-cert",
                   str(tmp_path / "nope.pem"), "--c2pa-key", str(test_ca["key"])])
    assert rc == 2 and "not found" in capsys.readouterr().err


@pytest.mark.parametrize("ext", [".jpe", ".png", ".tif", ".webp"])
def test_sign_output_returns_the_signed_bytes_hash_for_every_signable_suffix(tmp_path, test_ca, ext):
    """Every signable suffix the format table knows (.jpe included) is signed; the returned digest is the file's."""
    from archcolour import imageio
    from archcolour.fsutil import sha256_file

    src = _sources(tmp_path / "in")[0]
    out = tmp_path / f"out{ext}"
    written = imageio.save_image(out, np.zeros((16, 16, 3), np.uint8), ext)
    from types import SimpleNamespace

    info = SimpleNamespace(name="tiny", version="t", sha256="ab" * 32, architecture="a", working_size=64)
    prov = P.build_provenance(imageio.load_image(src), model_info=info, seed=0, device="cpu", device_name="CPU",
                              output_path=out)
    signed = C.sign_output(out, prov, C.C2paConfig(test_ca["chain"], test_ca["key"], "es256", None), source=src)
    assert signed.sha256 != written.sha256
    assert (signed.sha256, signed.size) == (sha256_file(out), out.stat().st_size)
    assert C.read_c2pa(out)["validation_state"] in ("Valid", "Trusted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", out.name]


def test_a_corrupt_manifest_reads_as_corrupt_not_none(tmp_path, test_ca):
    from types import SimpleNamespace

    from archcolour import imageio

    src = _sources(tmp_path / "in")[0]
    out = tmp_path / "out.png"
    imageio.save_image(out, np.zeros((16, 16, 3), np.uint8), "PNG")
    info = SimpleNamespace(name="tiny", version="t", sha256="ab" * 32, architecture="a", working_size=64)
    prov = P.build_provenance(imageio.load_image(src), model_info=info, seed=0, device="cpu", device_name="CPU",
                              output_path=out)
    C.sign_output(out, prov, C.C2paConfig(test_ca["chain"], test_ca["key"], "es256", None), source=src)
    data = bytearray(out.read_bytes())
    at = data.index(b"caBX") + 4
    data[at + 8:at + 200] = b"\x00" * 192  # inside the JUMBF boxes
    out.write_bytes(bytes(data))
    c2 = C.read_c2pa(out)
    assert c2 is not None and c2["validation_state"] == "corrupt" and c2["error"]
    assert "CORRUPT manifest" in C.describe(c2)
    assert C.read_c2pa(src) is None  # a file without any manifest


def test_resolve_takes_arguments_then_the_environment(tmp_path):
    env = {C.ENV_CERT: "/env/cert.pem", C.ENV_KEY: "/env/key.pem", C.ENV_ALG: "ps256"}
    cfg = C.C2paConfig.resolve("/arg/cert.pem", None, environ=env)
    assert (cfg.cert, cfg.key, cfg.alg, cfg.tsa_url) == (Path("/arg/cert.pem"), Path("/env/key.pem"), "ps256", None)
    assert C.C2paConfig.resolve(environ={}) is None
    with pytest.raises(C.C2paError, match="both a certificate"):
        C.C2paConfig.resolve(None, "/arg/key.pem", environ={})


def test_cli_refuses_a_certificate_without_a_key(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(C.ENV_KEY, raising=False)
    _sources(tmp_path / "in")
    rc = cli.main(["colourise", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--c2pa-cert", str(tmp_path / "c.pem")])
    assert rc == 2
    assert "both a certificate" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
