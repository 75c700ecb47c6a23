"""The Guidance panel: hint mode and its colour, the folder's reference photograph, vividness.

Widgets only; :mod:`.guidance_controller` connects them to the preview, the files and the batch.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QFormLayout, QFrame, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSlider, QToolButton, QVBoxLayout, QWidget,
)

from ..choices import VIVIDNESS_RANGE

THUMB_SIDE = 200
VIVIDNESS_STEPS = 100  # slider steps per unit of vividness


def swatch_icon(hex_colour: str, size: int = 16) -> QIcon:
    pm = QPixmap(size, size)
    pm.fill(QColor(hex_colour))
    return QIcon(pm)


def read_thumbnail(path: Path, side: int = THUMB_SIDE) -> QImage:
    """The reference image reduced to ``side`` px on its long side (EXIF orientation applied); null if unreadable."""
    r = QImageReader(str(path))
    r.setAutoTransform(True)
    size = r.size()
    if size.isValid() and max(size.width(), size.height()) > side:
        size.scale(side, side, Qt.KeepAspectRatio)
        r.setScaledSize(size)
    img = r.read()
    return img.convertToFormat(QImage.Format_RGB888) if not img.isNull() else img


class ReferenceThumb(QLabel):
    """The reference's thumbnail; while the eyedropper is on, a click samples the colour under it."""

    sampled = Signal(str)  # "#rrggbb"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.image = QImage()
        self.picking = False
        self.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        self.setFrameShape(QFrame.StyledPanel)
        self.set_image(QImage())

    def set_image(self, image: QImage) -> None:
        self.image = image
        if image.isNull():
            self.setPixmap(QPixmap())
            self.setText("No reference")
            self.setFixedSize(QSize(THUMB_SIDE, 60))
            self.setAlignment(Qt.AlignCenter)
        else:
            self.setText("")
            self.setAlignment(Qt.AlignLeft | Qt.AlignTop)
            self.setPixmap(QPixmap.fromImage(image))
            fw = 2 * self.frameWidth()
            self.setFixedSize(image.width() + fw, image.height() + fw)

    def set_picking(self, on: bool) -> None:
        self.picking = bool(on) and not self.image.isNull()
        self.setCursor(Qt.CrossCursor if self.picking else Qt.ArrowCursor)

    def colour_at(self, pos: QPoint) -> str | None:
        x, y = pos.x() - self.frameWidth(), pos.y() - self.frameWidth()
        if self.image.isNull() or not (0 <= x < self.image.width() and 0 <= y < self.image.height()):
            return None
        return QColor(self.image.pixel(x, y)).name()

    def mousePressEvent(self, event):  # noqa: N802
        if self.picking and event.button() == Qt.LeftButton:
            c = self.colour_at(event.position().toPoint())
            if c is not None:
                self.sampled.emit(c)
            event.accept()
            return
        super().mousePressEvent(event)


class GuidancePanel(QWidget):
    """Hint tools, the reference chooser and the vividness slider."""

    colourClicked = Signal()
    clearHints = Signal()
    chooseReference = Signal()
    clearReference = Signal()
    vividnessChanged = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)

        self.hints_box = QGroupBox("Colour hints")
        hv = QVBoxLayout(self.hints_box)
        row = QHBoxLayout()
        self.hint_mode_button = QToolButton()
        self.hint_mode_button.setToolButtonStyle(Qt.ToolButtonTextOnly)
        self.colour_button = QToolButton()
        self.colour_button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.colour_button.setText("Colour…")
        self.colour_button.setToolTip("The colour of the next hint (click to choose one)")
        self.clear_button = QPushButton("Clear all")
        self.clear_button.setToolTip("Remove every hint of this image (undo brings them back)")
        row.addWidget(self.hint_mode_button)
        row.addWidget(self.colour_button)
        row.addStretch(1)
        row.addWidget(self.clear_button)
        hv.addLayout(row)
        self.hints_label = QLabel("")
        self.hints_label.setWordWrap(True)
        self.hints_label.setStyleSheet("color: palette(mid);")
        hv.addWidget(self.hints_label)
        lay.addWidget(self.hints_box)

        self.ref_box = QGroupBox("Reference photograph (this folder)")
        rv = QVBoxLayout(self.ref_box)
        self.thumb = ReferenceThumb()
        rv.addWidget(self.thumb)
        self.ref_name = QLabel("")
        self.ref_name.setWordWrap(True)
        rv.addWidget(self.ref_name)
        row = QHBoxLayout()
        self.choose_ref_button = QPushButton("Choose…")
        self.choose_ref_button.setToolTip("A colour photograph whose colours guide the whole folder")
        self.clear_ref_button = QPushButton("Clear")
        self.eyedropper_button = QToolButton()
        self.eyedropper_button.setText("Eyedropper")
        self.eyedropper_button.setCheckable(True)
        self.eyedropper_button.setToolTip("Click the reference thumbnail to take its colour for the next hint")
        row.addWidget(self.choose_ref_button)
        row.addWidget(self.clear_ref_button)
        row.addWidget(self.eyedropper_button)
        row.addStretch(1)
        rv.addLayout(row)
        lay.addWidget(self.ref_box)

        form = QFormLayout()
        vrow = QHBoxLayout()
        self.vividness_slider = QSlider(Qt.Horizontal)
        lo, hi = VIVIDNESS_RANGE
        self.vividness_slider.setRange(int(round(lo * VIVIDNESS_STEPS)), int(round(hi * VIVIDNESS_STEPS)))
        self.vividness_slider.setValue(VIVIDNESS_STEPS)
        self.vividness_slider.setPageStep(VIVIDNESS_STEPS // 4)
        self.vividness_slider.setToolTip("Strength of the colour: 0 grey, 1 as predicted, 2 twice as strong")
        self.vividness_label = QLabel("1.00")
        self.vividness_label.setMinimumWidth(32)
        vrow.addWidget(self.vividness_slider, 1)
        vrow.addWidget(self.vividness_label)
        form.addRow("Vividness", vrow)
        lay.addLayout(form)
        self.note = QLabel("Hints, the reference and the vividness are recorded with every output.")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: palette(mid);")
        lay.addWidget(self.note)
        lay.addStretch(1)

        self.colour_button.clicked.connect(self.colourClicked)
        self.clear_button.clicked.connect(self.clearHints)
        self.choose_ref_button.clicked.connect(self.chooseReference)
        self.clear_ref_button.clicked.connect(self.clearReference)
        self.eyedropper_button.toggled.connect(self.thumb.set_picking)
        self.thumb.sampled.connect(lambda _c: self.eyedropper_button.setChecked(False))
        self.vividness_slider.valueChanged.connect(self._vividness_moved)
        self.set_colour("#b03a2e")

    def set_colour(self, hex_colour: str) -> None:
        self.colour_button.setIcon(swatch_icon(hex_colour))
        self.colour_button.setProperty("colour", hex_colour)

    @property
    def vividness(self) -> float:
        return self.vividness_slider.value() / VIVIDNESS_STEPS

    def set_vividness(self, v: float) -> None:
        self.vividness_slider.setValue(int(round(v * VIVIDNESS_STEPS)))
        self.vividness_label.setText(f"{self.vividness:.2f}")

    def _vividness_moved(self, _v: int) -> None:
        self.vividness_label.setText(f"{self.vividness:.2f}")
        self.vividnessChanged.emit(self.vividness)

    def set_reference(self, path: Path | None, image: QImage, note: str = "") -> None:
        self.thumb.set_image(image)
        self.eyedropper_button.setChecked(False)
        self.eyedropper_button.setEnabled(not image.isNull() and self.ref_box.isEnabled())
        self.clear_ref_button.setEnabled(path is not None)
        text = path.name if path is not None else ""
        if note:
            text = f"{text}: {note}" if text else note
        self.ref_name.setText(text)
        self.ref_name.setToolTip(str(path) if path else "")
