"""Small widgets shared by the window's parts."""
from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QLabel, QSizePolicy

#: the marker of an image with settings of its own (list rows and contact-sheet cells)
OWN_SETTINGS_COLOUR = "#5b4bb7"
OWN_SETTINGS_GLYPH = "\u2699"  # a gear; "S" where the font has none


def own_settings_mark(font: QFont) -> str:
    return OWN_SETTINGS_GLYPH if QFontMetrics(font).inFontUcs4(ord(OWN_SETTINGS_GLYPH)) else "S"


def paint_own_settings_marker(p, rect: QRectF, font: QFont) -> None:
    """A round badge saying "this image has settings of its own" in ``rect`` (the painter is restored)."""
    p.save()
    p.setRenderHint(p.RenderHint.Antialiasing)
    p.setPen(Qt.NoPen)
    p.setBrush(QColor(OWN_SETTINGS_COLOUR))
    p.drawEllipse(rect)
    f = QFont(font)
    f.setBold(True)
    p.setFont(f)
    p.setPen(QColor("white"))
    p.drawText(rect, Qt.AlignCenter, own_settings_mark(f))
    p.restore()


class ElidedLabel(QLabel):
    """A one-line label that never asks for more width than it has: long text is elided in the middle
    (a path keeps its start and its file name) and shown whole in the tooltip."""

    def __init__(self, text: str = "", parent=None, mode=Qt.ElideMiddle):
        super().__init__(parent)
        self._full = ""
        self._mode = mode
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.setMinimumWidth(40)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802
        self._full = text or ""
        self.setToolTip(self._full if self._full else "")
        self._refresh()

    def text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        return super().text()

    def _refresh(self) -> None:
        w = max(10, self.width() - 2)
        super().setText(self.fontMetrics().elidedText(self._full, self._mode, w))

    def resizeEvent(self, event):  # noqa: N802
        super().resizeEvent(event)
        self._refresh()

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.minimumWidth(), super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(min(300, self.fontMetrics().horizontalAdvance(self._full) + 4), super().sizeHint().height())
