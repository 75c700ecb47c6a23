"""About dialog: version, the model in use with a summary of its model card, licences."""
from __future__ import annotations

import html
import platform
import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QTextBrowser, QVBoxLayout

from .. import __version__
from .icons import app_icon

LICENCES = [
    ("archcolour", "MIT"),
    ("Qt 6 / PySide6", "LGPL-3.0"),
    ("PyTorch", "BSD-3-Clause"),
    ("NumPy", "BSD-3-Clause"),
    ("Pillow", "MIT-CMU (HPND)"),
    ("scikit-image", "BSD-3-Clause"),
    ("tifffile", "BSD-3-Clause"),
    ("safetensors", "Apache-2.0"),
    ("platformdirs", "MIT"),
]

SUMMARY_CHARS = 1600


def find_model_card(model_info=None) -> Path | None:
    """MODEL_CARD.md beside the weights in use, else in the bundled models folder."""
    dirs: list[Path] = []
    path = getattr(model_info, "path", None)
    if path:
        dirs.append(Path(path).parent)
    try:
        from .. import weights

        dirs.extend(weights.candidate_dirs())
    except Exception:  # noqa: BLE001 - the card is optional
        pass
    for d in dirs:
        p = d / "MODEL_CARD.md"
        if p.is_file():
            return p
    return None


_DEVELOPER = re.compile(r"`[^`]*[/.][^`]*`|\.py\b|\bbatch norm|\bReLU\b|\bparameters?\b|\bsafetensors\b|"
                        r"\bfloat(16|32)\b|\bSHA-256\b|--\w", re.I)


def model_card_summary(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The card's opening, for a reader who is not a developer: the paragraphs before its first
    section, without the card's own title, without paragraphs about code, files or network layers,
    whole paragraphs only (never cut mid-sentence), up to ``limit`` characters."""
    body = []
    for line in text.splitlines():
        if re.match(r"^#{2,}\s", line):
            break
        if re.match(r"^#\s", line):
            continue  # the card's title: the dialog has its own heading
        body.append(line)
    paragraphs = [" ".join(p.split()) for p in "\n".join(body).split("\n\n") if p.strip()]
    out: list[str] = []
    size = 0
    for para in paragraphs:
        if _DEVELOPER.search(para):
            continue
        plain = re.sub(r"`([^`]*)`", r"\1", para)
        if size + len(plain) > limit:
            if out:
                break
            cut = plain.rfind(". ", 0, limit)  # a single long paragraph: whole sentences only
            plain = plain[: cut + 1] if cut > 0 else plain
        out.append(plain)
        size += len(plain)
    return "\n\n".join(out)


class AboutDialog(QDialog):
    def __init__(self, colouriser=None, device_text: str = "", parent=None):
        super().__init__(parent)
        self.setWindowTitle("About archcolour")
        self.resize(620, 560)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(80, 80))
        icon.setAlignment(Qt.AlignTop)
        top.addWidget(icon)
        head = QLabel(
            f"<h2>archcolour {html.escape(__version__)}</h2>"
            "<p>Colourises black-and-white photographs of historic and archaeological sites. The lightness of "
            "every output is the source's own; only the colours are predicted, by a trained model, and every "
            "output says so in its metadata.</p>"
            f"<p>Python {platform.python_version()} · {html.escape(platform.system())}</p>")
        head.setWordWrap(True)
        head.setTextFormat(Qt.RichText)
        top.addWidget(head, 1)
        lay.addLayout(top)

        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        lay.addWidget(self.text, 1)
        self.text.setMarkdown(self.build_markdown(colouriser, device_text))

        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        lay.addWidget(buttons)

    @staticmethod
    def build_markdown(colouriser=None, device_text: str = "") -> str:
        parts: list[str] = []
        info = getattr(colouriser, "info", None)
        parts.append("## Model in use")
        if info is not None:
            parts.append(f"- **{info.name}** version {info.version} (fingerprint {info.short_hash})\n"
                         f"- the model looks at each photograph at "
                         f"{getattr(colouriser, 'working_size', info.working_size)} px on its short side"
                         + (f"\n- device: {device_text.removeprefix('Device: ')}" if device_text else ""))
        else:
            parts.append("The model is still loading (or could not be loaded).")
        card = find_model_card(info)
        parts.append("## About the model")
        if card is not None:
            try:
                summary = model_card_summary(card.read_text(encoding="utf-8"))
            except OSError as exc:
                summary = f"(cannot read {card.name}: {exc})"
            if summary:
                parts.append(summary)
            parts.append(f"The [full model card]({card.as_uri()}) (for specialists) lists the training data, "
                         "the measurements and the known failures.")
        else:
            parts.append("No model card is bundled with these weights.")
        parts.append("## Licences")
        parts.append("\n".join(f"- {name}: {lic}" for name, lic in LICENCES))
        parts.append("The licences of the training data and weights are stated in the model card.")
        return "\n\n".join(parts)
