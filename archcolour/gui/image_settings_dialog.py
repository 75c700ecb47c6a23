"""The *Settings for selected images* dialog: an image's own working size, model, vividness, upsampling.

Widgets only; :mod:`.image_settings_controller` opens it and saves what it returns. Every choice starts
at *Folder's (...)*, naming the value the folder's settings give; only what is changed from it becomes
the image's own. *Reset to folder settings* puts every choice back.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QPushButton,
    QVBoxLayout,
)

from ..choices import UPSAMPLING, VIVIDNESS_RANGE, WORKING_SIZE_PRESETS
from ..image_settings import ImageSettings

#: how the upsampling choices are named in the window (the vocabulary is archcolour.choices.UPSAMPLING)
UPSAMPLING_LABELS = {"guided": "Guided by the photograph's edges", "bilinear": "Plain (bilinear)"}


@dataclass(frozen=True)
class FolderDefaults:
    """What the folder's settings give, named in each *Folder's (...)* choice."""

    working_size: int | None = None
    model: str | None = None
    vividness: float = 1.0
    upsampling: str = "guided"


class ImageSettingsDialog(QDialog):
    def __init__(self, names: list[str], current: ImageSettings | None, folder: FolderDefaults, models,
                 parent=None):
        super().__init__(parent)
        current = current or ImageSettings()
        n = len(names)
        self.setWindowTitle("Settings for this image" if n == 1 else f"Settings for {n} images")
        lay = QVBoxLayout(self)
        head = QLabel(f"<b>{names[0]}</b>" if n == 1 else f"<b>{n} images</b>: {', '.join(names[:3])}"
                      + (" …" if n > 3 else ""))
        head.setTextFormat(Qt.RichText)
        head.setWordWrap(True)
        lay.addWidget(head)
        self.help = QLabel("What you change here applies to this image only and overrides the folder's "
                           "settings (Export and Guidance panels); the rest follows the folder. Each output "
                           "records the settings it was made with. An image already colourised keeps its "
                           "output until you redo it (flag it to redo, then Re-run rejected).")
        self.help.setObjectName("help_image_settings")
        self.help.setWordWrap(True)
        f = self.help.font()
        f.setPointSizeF(f.pointSizeF() * 0.88)
        self.help.setFont(f)
        self.help.setStyleSheet("color: palette(mid);")
        lay.addWidget(self.help)

        form = QFormLayout()
        self.size_combo = QComboBox()
        ws = f"{folder.working_size} px" if folder.working_size else "the model's"
        self.size_combo.addItem(f"Folder's ({ws})", None)
        for s in sorted(set(WORKING_SIZE_PRESETS) | ({current.working_size} if current.working_size else set())):
            self.size_combo.addItem(f"{s} px", s)
        self.size_combo.setToolTip("Short side of the image the model sees: larger gives finer colour detail, "
                                   "slower. The output keeps the full size.")
        form.addRow("Working size", self.size_combo)

        self.model_combo = QComboBox()
        self.model_combo.addItem(f"Folder's ({folder.model or 'default'})", None)
        names_known = set()
        for m in models:
            names_known.add(m.name)
            takes = f" (takes {', '.join(m.takes)})" if m.takes else ""
            self.model_combo.addItem(m.name + takes, m.name)
            self.model_combo.setItemData(self.model_combo.count() - 1, m.description, Qt.ToolTipRole)
        if current.model and current.model not in names_known:  # a model no longer bundled: shown, kept
            self.model_combo.addItem(f"{current.model} (not bundled)", current.model)
        self.model_combo.setToolTip("The model that colours this image (archcolour models lists them); "
                                    "hints and a reference need one that takes them")
        form.addRow("Model", self.model_combo)

        vrow = QHBoxLayout()
        self.vividness_check = QCheckBox("Own")
        self.vividness_check.setToolTip(f"Off: the folder's vividness ({folder.vividness:.2f})")
        self.vividness_spin = QDoubleSpinBox()
        lo, hi = VIVIDNESS_RANGE
        self.vividness_spin.setRange(lo, hi)
        self.vividness_spin.setSingleStep(0.05)
        self.vividness_spin.setDecimals(2)
        self.vividness_spin.setToolTip("Strength of the colour: 0 grey, 1 as predicted, 2 twice as strong")
        vrow.addWidget(self.vividness_check)
        vrow.addWidget(self.vividness_spin, 1)
        self.folder_vividness = folder.vividness
        form.addRow("Vividness", vrow)

        self.upsampling_combo = QComboBox()
        self.upsampling_combo.addItem(f"Folder's ({UPSAMPLING_LABELS.get(folder.upsampling, folder.upsampling)})",
                                      None)
        for key in UPSAMPLING:
            self.upsampling_combo.addItem(UPSAMPLING_LABELS.get(key, key), key)
        self.upsampling_combo.setToolTip("How the colour is brought to the full resolution")
        form.addRow("Upsampling", self.upsampling_combo)
        lay.addLayout(form)

        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.reset_button = QPushButton("Reset to folder settings")
        self.reset_button.setToolTip("Every choice back to the folder's: this image has no settings of its own")
        buttons.addButton(self.reset_button, QDialogButtonBox.ResetRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.reset_button.clicked.connect(self.reset)
        self.vividness_check.toggled.connect(self.vividness_spin.setEnabled)
        lay.addWidget(buttons)
        self.set_settings(current)

    def _select(self, combo: QComboBox, value) -> None:
        combo.setCurrentIndex(max(0, combo.findData(value)))

    def set_settings(self, s: ImageSettings) -> None:
        self._select(self.size_combo, s.working_size)
        self._select(self.model_combo, s.model)
        self._select(self.upsampling_combo, s.upsampling)
        own_v = s.vividness is not None
        self.vividness_check.setChecked(own_v)
        self.vividness_spin.setValue(s.vividness if own_v else self.folder_vividness)
        self.vividness_spin.setEnabled(own_v)

    def reset(self) -> None:
        self.set_settings(ImageSettings())

    def settings(self) -> ImageSettings:
        """What the dialog says (an empty one: the folder's settings)."""
        return ImageSettings(working_size=self.size_combo.currentData(), model=self.model_combo.currentData(),
                             vividness=round(self.vividness_spin.value(), 3) if self.vividness_check.isChecked()
                             else None, upsampling=self.upsampling_combo.currentData())
