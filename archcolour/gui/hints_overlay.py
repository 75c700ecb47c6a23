"""Hint points drawn over the preview, and the mouse and keys that edit them in hint mode.

A transparent child of :class:`~archcolour.gui.compare_view.CompareView` the size of the view: it
uses the view's own transform (``image_rect_in``), so points stay on their spot through zoom, pan and
side by side (there they are drawn over the *after* pane). Outside hint mode it lets every mouse event
through to the view. It never changes points itself: it says what the user did (``edited`` with the
points before and after) and the owner pushes that on its undo stack.

Hint mode: click on the image to add a point in the current colour, drag a point to move it, click a
point to select it, Delete / Backspace to delete it, double-click a point to choose its colour. The
wheel still zooms (the event goes through to the view).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from .hints_store import display_hex, point

GRAB_PX = 9.0
MIN_DOT_PX = 5.0


class HintsOverlay(QWidget):
    edited = Signal(list, list, str)  # points before, points after, what was done ("Add hint" ...)
    recolourRequested = Signal(int)  # index of the point whose colour the user wants to change
    selectionChanged = Signal(int)  # index of the selected point, -1 for none

    def __init__(self, compare):
        super().__init__(compare)
        self.compare = compare
        self.points: list[dict] = []
        self.selected = -1
        self.active = False
        self.current_colour = "#b03a2e"
        self._drag = -1
        self._drag_before: list[dict] | None = None
        self._press = QPointF()
        self.setAttribute(Qt.WA_TransparentForMouseEvents, True)
        self.setAttribute(Qt.WA_NoSystemBackground, True)
        self.setFocusPolicy(Qt.ClickFocus)
        self.setMouseTracking(True)
        self.setGeometry(compare.rect())
        compare.installEventFilter(self)
        self.show()

    # -- state -----------------------------------------------------------------------------------
    def set_points(self, points: list[dict]) -> None:
        self.points = [dict(p) for p in points]
        if self.selected >= len(self.points):
            self._select(-1)
        self.update()

    def set_active(self, on: bool) -> None:
        self.active = bool(on)
        self.setAttribute(Qt.WA_TransparentForMouseEvents, not self.active)
        self.setCursor(Qt.CrossCursor if self.active else Qt.ArrowCursor)
        if not self.active:
            self._select(-1)
        self.update()

    def _select(self, i: int) -> None:
        if i != self.selected:
            self.selected = i
            self.selectionChanged.emit(i)
            self.update()

    # -- geometry --------------------------------------------------------------------------------
    def _pane(self) -> QRectF:
        panes = self.compare.pane_rects()
        return panes[1] if self.compare.side_by_side else panes[0]

    def _pane_at(self, pos: QPointF) -> QRectF:
        for p in self.compare.pane_rects():
            if p.contains(pos):
                return p
        return self._pane()

    def widget_pos(self, p: dict, pane: QRectF | None = None) -> QPointF:
        r = self.compare.image_rect_in(pane or self._pane())
        return QPointF(r.left() + p["x"] * r.width(), r.top() + p["y"] * r.height())

    def relative(self, pos: QPointF) -> tuple[float, float] | None:
        """(x, y) as fractions of the image for a widget point, None outside the image."""
        r = self.compare.image_rect_in(self._pane_at(pos))
        if r.width() <= 0 or r.height() <= 0 or not r.contains(pos):
            return None
        return (pos.x() - r.left()) / r.width(), (pos.y() - r.top()) / r.height()

    def hit(self, pos: QPointF) -> int:
        pane = self._pane_at(pos)
        best, best_d = -1, GRAB_PX
        for i, p in enumerate(self.points):
            d = (self.widget_pos(p, pane) - pos).manhattanLength()
            if d <= best_d:
                best, best_d = i, d
        return best

    def _dot_px(self, p: dict, pane: QRectF) -> float:
        r = self.compare.image_rect_in(pane)
        return max(MIN_DOT_PX, float(p.get("radius", 0.01)) * min(r.width(), r.height()))

    # -- events ----------------------------------------------------------------------------------
    def eventFilter(self, obj, event):  # noqa: N802
        if obj is self.compare and event.type() == QEvent.Resize:
            self.setGeometry(self.compare.rect())
        return False

    def paintEvent(self, event):  # noqa: N802
        if not self.points or not self.compare.has_image():
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        pane = self._pane()
        p.setClipRect(pane)
        for i, pt in enumerate(self.points):
            c = self.widget_pos(pt, pane)
            rad = self._dot_px(pt, pane)
            p.setPen(QPen(QColor(0, 0, 0, 200), 3))
            p.setBrush(Qt.NoBrush)
            p.drawEllipse(c, rad + 1.5, rad + 1.5)
            p.setPen(QPen(QColor("#ffd23f") if i == self.selected else QColor("white"), 2 if i == self.selected else 1.5))
            p.setBrush(QColor(display_hex(pt["colour"])))
            p.drawEllipse(c, rad, rad)
            if i == self.selected:
                p.setPen(QPen(QColor("#ffd23f"), 1.5, Qt.DashLine))
                p.setBrush(Qt.NoBrush)
                p.drawEllipse(c, rad + 5, rad + 5)
        p.end()

    def mousePressEvent(self, event):  # noqa: N802
        if not self.active or event.button() != Qt.LeftButton or not self.compare.has_image():
            event.ignore()
            return
        pos = event.position()
        i = self.hit(pos)
        if i >= 0:
            self._select(i)
            self._drag = i
            self._drag_before = [dict(p) for p in self.points]
            self._press = QPointF(pos)
        else:
            rel = self.relative(pos)
            if rel is None:
                self._select(-1)
                event.accept()
                return
            before = [dict(p) for p in self.points]
            after = before + [point(rel[0], rel[1], self.current_colour)]
            self.edited.emit(before, after, "Add hint")
            self._select(len(self.points) - 1)
        event.accept()

    def mouseMoveEvent(self, event):  # noqa: N802
        if not self.active:
            event.ignore()
            return
        pos = event.position()
        if self._drag >= 0:
            r = self.compare.image_rect_in(self._pane_at(self._press))
            if r.width() > 0 and r.height() > 0:
                pt = self.points[self._drag]
                moved = point((pos.x() - r.left()) / r.width(), (pos.y() - r.top()) / r.height(), "#000000",
                              pt.get("radius", 0.01))
                pt["x"], pt["y"] = moved["x"], moved["y"]
                self.update()
        else:
            self.setCursor(Qt.SizeAllCursor if self.hit(pos) >= 0 else Qt.CrossCursor)
        event.accept()

    def mouseReleaseEvent(self, event):  # noqa: N802
        if self._drag >= 0 and event.button() == Qt.LeftButton:
            before, after = self._drag_before or [], [dict(p) for p in self.points]
            self._drag, self._drag_before = -1, None
            if before != after:
                self.edited.emit(before, after, "Move hint")
            event.accept()
            return
        event.ignore()

    def mouseDoubleClickEvent(self, event):  # noqa: N802
        if not self.active:
            event.ignore()
            return
        i = self.hit(event.position())
        if i >= 0:
            self.recolourRequested.emit(i)
        event.accept()

    def wheelEvent(self, event):  # noqa: N802
        event.ignore()  # the view zooms

    def keyPressEvent(self, event):  # noqa: N802
        if self.active and event.key() in (Qt.Key_Delete, Qt.Key_Backspace):
            self.delete_selected()
            event.accept()
            return
        event.ignore()

    def delete_selected(self) -> bool:
        if not (0 <= self.selected < len(self.points)):
            return False
        before = [dict(p) for p in self.points]
        after = before[:self.selected] + before[self.selected + 1:]
        self._select(-1)
        self.edited.emit(before, after, "Delete hint")
        return True
