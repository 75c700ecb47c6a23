"""The application icon: resources/icons/archcolour.{svg,png}, or the same picture drawn in code."""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap


def _icon_dirs() -> list[Path]:
    dirs = []
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        dirs.append(Path(meipass) / "resources" / "icons")
    here = Path(__file__).resolve().parent
    dirs.append(here.parents[1] / "resources" / "icons")  # source checkout
    return dirs


def icon_file(ext: str = "png") -> Path | None:
    for d in _icon_dirs():
        p = d / f"archcolour.{ext}"
        if p.is_file():
            return p
    return None


def draw_icon(size: int = 256) -> QPixmap:
    """The icon drawn with QPainter (used when the resource files are not shipped)."""
    pm = QPixmap(size, size)
    pm.fill(Qt.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.Antialiasing)
    p.scale(size / 256.0, size / 256.0)
    frame = QPainterPath()
    frame.addRoundedRect(QRectF(8, 8, 240, 240), 40, 40)
    arch = QPainterPath()
    arch.moveTo(52, 208)
    arch.lineTo(52, 116)
    arch.arcTo(QRectF(52, 40, 152, 152), 180, -180)
    arch.lineTo(204, 208)
    arch.lineTo(164, 208)
    arch.lineTo(164, 124)
    arch.arcTo(QRectF(92, 88, 72, 72), 0, 180)
    arch.lineTo(92, 208)
    arch.closeSubpath()
    for x0, sky, ground, stone in ((0, "#bdbdbd", "#5e5e5e", "#7c7c7c"), (128, "#6fa8dc", "#6b8e3a", "#c8793a")):
        p.save()
        half = QPainterPath()
        half.addRect(QRectF(x0, 0, 128, 256))
        p.setClipPath(frame.intersected(half))
        p.fillRect(QRectF(0, 0, 256, 256), QColor(sky))
        p.fillRect(QRectF(0, 200, 256, 56), QColor(ground))
        p.fillPath(arch, QColor(stone))
        p.restore()
    p.setPen(QPen(QColor("white"), 6))
    p.drawLine(QPointF(128, 8), QPointF(128, 248))
    p.setPen(QPen(QColor("#2f2f2f"), 6))
    p.setBrush(Qt.NoBrush)
    p.drawPath(frame)
    p.end()
    return pm


def app_icon() -> QIcon:
    icon = QIcon()
    svg = icon_file("svg")
    png = icon_file("png")
    if svg is not None:
        icon.addFile(str(svg))
    if png is not None:
        icon.addFile(str(png))
    if icon.isNull():
        for s in (16, 32, 64, 128, 256):
            icon.addPixmap(draw_icon(s))
    return icon
