"""Before/after view: one image with a draggable divider (grey left, colour right), or side by side.

Both images are drawn with one transform (zoom + the image point at the view's centre), so zooming and
panning always keep the two halves aligned pixel for pixel. The divider is a fraction of the view's
width; dragging it never moves the images.

Mouse: drag the divider handle to compare, drag anywhere else to pan, wheel to zoom about the cursor,
double-click to switch between fit and 100 %.

With :meth:`CompareView.set_show_doubt`, the *after* image is hatched where its colour is uncertain: the
worker's mask (:func:`~archcolour.gui.workers.uncertainty_mask`, at the colour's size) is drawn through
the same transform as the colour, and a neutral diagonal hatch (light and dark lines, no hue) is cut to
it. The hatch keeps its spacing on screen whatever the zoom (readable at fit and at 800 %) and moves
with the image when it is panned; it is drawn only where the after image is (right of the divider, the
right pane side by side).
"""
from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

MIN_ZOOM = 0.02
MAX_ZOOM = 32.0
HANDLE_GRAB_PX = 10
#: The uncertainty hatch: one light and one dark diagonal line every HATCH_PX screen pixels, so it shows
#: on light and dark parts of a photograph alike; neutral (no hue), so it is never read as the photograph's
#: colour; thin and translucent, so the colour under it stays visible (the point is to see *which* colour
#: is unsure). The worker's mask scales the whole pattern (its alpha ramp).
HATCH_PX = 9
HATCH_LIGHT = QColor(255, 255, 255, 135)
HATCH_DARK = QColor(0, 0, 0, 115)


def hatch_tile(period: int = HATCH_PX) -> QImage:
    """One ``period`` x ``period`` tile of the diagonal hatch (it tiles seamlessly)."""
    tile = QImage(period, period, QImage.Format_ARGB32_Premultiplied)
    tile.fill(Qt.transparent)
    p = QPainter(tile)
    p.setRenderHint(QPainter.Antialiasing)
    for dx in (-period, 0, period):  # the line and its neighbours' ends, so the tile's edges meet
        p.setPen(QPen(HATCH_DARK, 1.2))
        p.drawLine(QPointF(dx + 1.4, period), QPointF(dx + period + 1.4, 0))
        p.setPen(QPen(HATCH_LIGHT, 1.3))
        p.drawLine(QPointF(dx, period), QPointF(dx + period, 0))
    p.end()
    return tile


class CompareView(QWidget):
    dividerMoved = Signal(float)  # fraction of the width, 0..1
    zoomChanged = Signal(float)  # display zoom (1.0 = 100 %)
    modeChanged = Signal(bool)  # True: side by side

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(240, 180)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(QPalette.Window, QColor("#2b2b2b"))
        self.setPalette(pal)
        self._grey: QPixmap | None = None
        self._colour: QPixmap | None = None
        self._size = QSize()
        self._zoom = 1.0
        self._fit = True
        self._centre = QPointF(0, 0)  # image point shown at the centre of each pane
        self._divider = 0.5
        self._side_by_side = False
        self._message = "Open a folder (Ctrl+O) or drop images here"
        self._busy_text = ""
        self._drag: str | None = None  # "divider" | "pan"
        self._drag_start = QPointF()
        self._drag_centre = QPointF()
        self._scaled: dict[tuple[str, int, int], QPixmap] = {}
        self._colour_source_size = QSize()
        self._doubt: QImage | None = None  # Alpha8 mask of the uncertain colour, at the colour's size
        self._show_doubt = False
        self._doubt_layer: tuple | None = None  # (key, QImage): the hatch cut to the mask, for the last view
        self._hatch: QBrush | None = None
        self.labels = ("Before", "After")

    # -- content ------------------------------------------------------------------------------
    def set_images(self, grey: QImage | None, colour: QImage | None, *, keep_view: bool = False,
                   doubt: QImage | None = None) -> None:
        """Show ``grey`` (before) and ``colour`` (after); either may be None while it is computed.

        The before image sets the geometry; an after image of another size (a fast preview computed
        smaller, refined later) is drawn scaled to it, so both halves stay aligned. It is kept at its own
        size and scaled only to what is drawn (at fit, often nothing to scale at all). ``doubt`` is the
        after image's uncertainty mask (None: none), drawn when :attr:`show_doubt` is on."""
        self._set_doubt(doubt if colour is not None else None)
        old = QSize(self._size)
        self._grey = QPixmap.fromImage(grey) if grey is not None else None
        ref = self._grey
        if ref is None and colour is not None:
            ref = QPixmap.fromImage(colour)
        self._size = ref.size() if ref is not None else QSize()
        self._colour = QPixmap.fromImage(colour) if colour is not None else None
        self._colour_source_size = colour.size() if colour is not None else QSize()
        self._scaled.clear()
        if not (keep_view and old == self._size):
            self._fit = True
            self._centre = QPointF(self._size.width() / 2, self._size.height() / 2)
            self._update_fit()
        self.update()

    def set_colour(self, colour: QImage | None, doubt: QImage | None = None) -> None:
        """Add the colour image (and its uncertainty mask, if any) to the before image on show, keeping
        zoom and pan."""
        self._set_doubt(doubt if colour is not None else None)
        self._colour_source_size = colour.size() if colour is not None else QSize()
        self._colour = QPixmap.fromImage(colour) if colour is not None else None
        self._scaled = {k: v for k, v in self._scaled.items() if k[0] != "colour"}
        self.update()

    def set_before(self, image: QImage | None) -> None:
        """Replace the before image (the original scan, or the lightness the network saw), same view."""
        if image is None or self._size.isEmpty():
            return
        self._grey = QPixmap.fromImage(image.scaled(self._size, Qt.IgnoreAspectRatio, Qt.SmoothTransformation)
                                       if image.size() != self._size else image)
        self._scaled = {k: v for k, v in self._scaled.items() if k[0] != "grey"}
        self.update()

    def before_image(self) -> QImage:
        return self._grey.toImage() if self._grey is not None else QImage()

    def colour_size(self) -> QSize:
        """Pixel size of the colour preview as computed (before any scaling to the before image)."""
        return QSize(self._colour_source_size) if self._colour is not None else QSize()

    def _set_doubt(self, doubt: QImage | None) -> None:
        self._doubt = doubt if doubt is not None and not doubt.isNull() else None
        self._doubt_layer = None

    def has_doubt(self) -> bool:
        """Is there an uncertainty mask for the colour on show?"""
        return self._doubt is not None and self._colour is not None

    @property
    def show_doubt(self) -> bool:
        return self._show_doubt

    def set_show_doubt(self, on: bool) -> None:
        """Hatch the after image where its colour is uncertain (when it has a mask)."""
        on = bool(on)
        if on != self._show_doubt:
            self._show_doubt = on
            self.update()

    def clear(self, message: str = "") -> None:
        self._set_doubt(None)
        self._grey = self._colour = None
        self._size = QSize()
        self._scaled.clear()
        self._message = message
        self.update()

    def set_message(self, message: str) -> None:
        self._message = message
        self.update()

    def set_busy_text(self, text: str) -> None:
        self._busy_text = text
        self.update()

    def has_image(self) -> bool:
        return not self._size.isEmpty()

    def has_colour(self) -> bool:
        return self._colour is not None

    # -- view state ---------------------------------------------------------------------------
    @property
    def divider(self) -> float:
        return self._divider

    def set_divider(self, fraction: float) -> None:
        f = min(1.0, max(0.0, float(fraction)))
        if f != self._divider:
            self._divider = f
            self.dividerMoved.emit(f)
            self.update()

    @property
    def side_by_side(self) -> bool:
        return self._side_by_side

    def set_side_by_side(self, on: bool) -> None:
        on = bool(on)
        if on == self._side_by_side:
            return
        self._side_by_side = on
        self._scaled.clear()
        if self._fit:
            self._update_fit()
        self.modeChanged.emit(on)
        self.update()

    @property
    def zoom(self) -> float:
        return self._zoom

    @property
    def is_fit(self) -> bool:
        return self._fit

    @property
    def centre(self) -> QPointF:
        return QPointF(self._centre)

    def fit(self) -> None:
        self._fit = True
        self._centre = QPointF(self._size.width() / 2, self._size.height() / 2)
        self._update_fit()
        self.update()

    def actual_size(self) -> None:
        self.set_zoom(1.0)

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``zoom``, keeping the image point under ``anchor`` (a widget point) in place."""
        if not self.has_image():
            return
        zoom = min(MAX_ZOOM, max(MIN_ZOOM, float(zoom)))
        if anchor is not None:
            pane = self._pane_rect_at(anchor)
            before = self.widget_to_image(anchor, pane)
            self._zoom = zoom
            after = self.widget_to_image(anchor, pane)
            self._centre += before - after
        else:
            self._zoom = zoom
        self._fit = False
        self._clamp_centre()
        self.zoomChanged.emit(self._zoom)
        self.update()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.set_zoom(self._zoom * factor, anchor)

    def pan_by(self, dx_widget: float, dy_widget: float) -> None:
        if not self.has_image():
            return
        self._centre -= QPointF(dx_widget, dy_widget) / self._zoom
        self._clamp_centre()
        self.update()

    # -- geometry -----------------------------------------------------------------------------
    def pane_rects(self) -> list[QRectF]:
        r = QRectF(self.rect())
        if not self._side_by_side:
            return [r]
        gap = 4.0
        w = (r.width() - gap) / 2
        return [QRectF(r.left(), r.top(), w, r.height()), QRectF(r.left() + w + gap, r.top(), w, r.height())]

    def _pane_rect_at(self, pt: QPointF) -> QRectF:
        panes = self.pane_rects()
        for p in panes:
            if p.contains(pt):
                return p
        return panes[0]

    def image_to_widget(self, pt: QPointF, pane: QRectF | None = None) -> QPointF:
        pane = pane or self.pane_rects()[0]
        return (pt - self._centre) * self._zoom + pane.center()

    def widget_to_image(self, pt: QPointF, pane: QRectF | None = None) -> QPointF:
        pane = pane or self.pane_rects()[0]
        return (pt - pane.center()) / self._zoom + self._centre

    def image_rect_in(self, pane: QRectF) -> QRectF:
        tl = self.image_to_widget(QPointF(0, 0), pane)
        return QRectF(tl.x(), tl.y(), self._size.width() * self._zoom, self._size.height() * self._zoom)

    def divider_x(self) -> float:
        return self.rect().width() * self._divider

    def fit_area(self) -> tuple[float, float]:
        """(width, height) that "fit" fits an image into: one pane less a margin."""
        pane = self.pane_rects()[0]
        margin = 8.0
        return max(1.0, pane.width() - margin), max(1.0, pane.height() - margin)

    def _update_fit(self) -> None:
        if self._size.isEmpty():
            return
        w, h = self.fit_area()
        z = min(w / self._size.width(), h / self._size.height())
        self._zoom = max(MIN_ZOOM, min(MAX_ZOOM, z))
        self._centre = QPointF(self._size.width() / 2, self._size.height() / 2)
        self.zoomChanged.emit(self._zoom)

    def _clamp_centre(self) -> None:
        w, h = self._size.width(), self._size.height()
        self._centre = QPointF(min(max(self._centre.x(), 0.0), float(w)), min(max(self._centre.y(), 0.0), float(h)))

    def resizeEvent(self, event):  # noqa: N802
        self._scaled.clear()
        if self._fit:
            self._update_fit()
        super().resizeEvent(event)

    # -- painting -----------------------------------------------------------------------------
    def _pixmap_at_zoom(self, which: str) -> QPixmap | None:
        """The image to draw: below 100 % pre-scaled to the zoomed size (blitted 1:1), else at the before
        image's size (drawn through the view's transform). Scaled copies are cached until the zoom changes."""
        src = self._grey if which == "grey" else self._colour
        if src is None:
            return None
        if self._zoom >= 1.0 or math.isclose(self._zoom, 1.0):
            w, h = self._size.width(), self._size.height()
        else:
            w = max(1, round(self._size.width() * self._zoom))
            h = max(1, round(self._size.height() * self._zoom))
        if src.width() == w and src.height() == h:
            return src
        key = (which, w, h)
        pm = self._scaled.get(key)
        if pm is None:
            self._scaled = {k: v for k, v in self._scaled.items() if k[1:] == key[1:]}
            pm = src.scaled(w, h, Qt.IgnoreAspectRatio, Qt.SmoothTransformation)
            self._scaled[key] = pm
        return pm

    def _draw_image(self, p: QPainter, which: str, pane: QRectF, clip: QRectF) -> None:
        pm = self._pixmap_at_zoom(which)
        if pm is None:
            return
        target = self.image_rect_in(pane)
        p.save()
        p.setClipRect(clip.intersected(pane))
        if pm.size() != self._size:  # pre-scaled for zoom < 1: blit 1:1
            p.drawPixmap(QPointF(round(target.left()), round(target.top())), pm)
        else:
            p.setRenderHint(QPainter.SmoothPixmapTransform, self._zoom < 2.0)
            visible = target.intersected(clip.intersected(pane))
            if not visible.isEmpty():
                # map the visible rectangle back to source pixels and draw only that part
                sx = (visible.left() - target.left()) / self._zoom
                sy = (visible.top() - target.top()) / self._zoom
                src = QRectF(sx, sy, visible.width() / self._zoom, visible.height() / self._zoom)
                p.drawPixmap(visible, pm, src)
        p.restore()

    def _doubt_layer_for(self, pane: QRectF) -> tuple[QImage, QPointF] | None:
        """The hatch cut to the uncertainty mask over the part of the image visible in ``pane``, and where
        to draw it. Made again only when the view moves (zoom, pan, resize, a new mask): dragging the
        divider only clips it."""
        target = self.image_rect_in(pane)
        area = target.intersected(pane).toAlignedRect()
        if area.isEmpty() or self._size.isEmpty():
            return None
        dpr = self.devicePixelRatioF()
        key = (self._doubt.cacheKey(), area.getRect(), round(target.left(), 3), round(target.top(), 3),
               round(self._zoom, 9), dpr)
        if self._doubt_layer is not None and self._doubt_layer[0] == key:
            return self._doubt_layer[1], QPointF(area.topLeft())
        layer = QImage(max(1, math.ceil(area.width() * dpr)), max(1, math.ceil(area.height() * dpr)),
                       QImage.Format_ARGB32_Premultiplied)
        layer.setDevicePixelRatio(dpr)
        layer.fill(Qt.transparent)
        lp = QPainter(layer)
        lp.setRenderHint(QPainter.SmoothPixmapTransform)
        # the mask through the view's transform (only the visible part of it), in the layer's coordinates
        sx = self._doubt.width() / self._size.width()
        sy = self._doubt.height() / self._size.height()
        z = self._zoom
        src = QRectF((area.left() - target.left()) / z * sx, (area.top() - target.top()) / z * sy,
                     area.width() / z * sx, area.height() / z * sy)
        lp.drawImage(QRectF(0, 0, area.width(), area.height()), self._doubt, src)
        # the hatch where the mask is, as strong as the mask; anchored at the image's corner (it pans with it)
        if self._hatch is None:
            self._hatch = QBrush(hatch_tile())
        lp.setCompositionMode(QPainter.CompositionMode_SourceIn)
        lp.setBrushOrigin(target.topLeft() - QPointF(area.topLeft()))
        lp.fillRect(QRectF(0, 0, area.width(), area.height()), self._hatch)
        lp.end()
        self._doubt_layer = (key, layer)
        return layer, QPointF(area.topLeft())

    def _draw_doubt(self, p: QPainter, pane: QRectF, clip: QRectF) -> None:
        clip = clip.intersected(pane)
        if clip.isEmpty():  # (an empty clip rectangle would not clip at all)
            return
        made = self._doubt_layer_for(pane)
        if made is None:
            return
        layer, at = made
        p.save()
        p.setClipRect(clip)
        p.drawImage(at, layer)
        p.restore()

    def _draw_label(self, p: QPainter, text: str, pane: QRectF, right: bool) -> None:
        f = QFont(self.font())
        f.setBold(True)
        p.setFont(f)
        fm = p.fontMetrics()
        w = fm.horizontalAdvance(text) + 14
        h = fm.height() + 6
        x = pane.right() - w - 8 if right else pane.left() + 8
        box = QRectF(x, pane.top() + 8, w, h)
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawRoundedRect(box, 4, 4)
        p.setPen(QColor("white"))
        p.drawText(box, Qt.AlignCenter, text)

    def _draw_centred_text(self, p: QPainter, text: str) -> None:
        p.setPen(QColor("#d0d0d0"))
        f = QFont(self.font())
        f.setPointSizeF(f.pointSizeF() * 1.2)
        p.setFont(f)
        p.drawText(QRectF(self.rect()).adjusted(20, 20, -20, -20), Qt.AlignCenter | Qt.TextWordWrap, text)

    def paintEvent(self, event):  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#2b2b2b"))
        if not self.has_image():
            self._draw_centred_text(p, self._message)
            p.end()
            return
        panes = self.pane_rects()
        full = QRectF(self.rect())
        colour_name = "colour" if self._colour is not None else "grey"
        hatch = self._show_doubt and self.has_doubt()
        if self._side_by_side:
            self._draw_image(p, "grey", panes[0], full)
            self._draw_image(p, colour_name, panes[1], full)
            if hatch:
                self._draw_doubt(p, panes[1], full)
            self._draw_label(p, self.labels[0], panes[0], right=False)
            self._draw_label(p, self.labels[1], panes[1], right=True)
        else:
            x = self.divider_x()
            pane = panes[0]
            after = QRectF(x, full.top(), full.width() - x, full.height())
            self._draw_image(p, colour_name, pane, after)
            if hatch:
                self._draw_doubt(p, pane, after)
            self._draw_image(p, "grey", pane, QRectF(full.left(), full.top(), x, full.height()))
            self._draw_label(p, self.labels[0], pane, right=False)
            self._draw_label(p, self.labels[1], pane, right=True)
            self._draw_divider(p, x)
        if self._busy_text:
            f = QFont(self.font())
            p.setFont(f)
            fm = p.fontMetrics()
            w = fm.horizontalAdvance(self._busy_text) + 20
            box = QRectF(full.center().x() - w / 2, full.bottom() - fm.height() - 22, w, fm.height() + 10)
            p.setPen(Qt.NoPen)
            p.setBrush(QColor(0, 0, 0, 170))
            p.drawRoundedRect(box, 5, 5)
            p.setPen(QColor("white"))
            p.drawText(box, Qt.AlignCenter, self._busy_text)
        p.end()

    def _draw_divider(self, p: QPainter, x: float) -> None:
        h = self.rect().height()
        p.setRenderHint(QPainter.Antialiasing)
        p.setPen(QPen(QColor(0, 0, 0, 120), 3))
        p.drawLine(QPointF(x, 0), QPointF(x, h))
        p.setPen(QPen(QColor("white"), 1.5))
        p.drawLine(QPointF(x, 0), QPointF(x, h))
        c = QPointF(x, h / 2)
        p.setBrush(QColor(255, 255, 255, 235))
        p.setPen(QPen(QColor(0, 0, 0, 140), 1))
        p.drawEllipse(c, 14, 14)
        p.setBrush(QColor("#333"))
        p.setPen(Qt.NoPen)
        for sign in (-1, 1):
            tri = QPainterPath()
            tri.moveTo(c + QPointF(sign * 10, 0))
            tri.lineTo(c + QPointF(sign * 4, -5))
            tri.lineTo(c + QPointF(sign * 4, 5))
            tri.closeSubpath()
            p.drawPath(tri)

    # -- interaction --------------------------------------------------------------------------
    def _near_divider(self, pos: QPointF) -> bool:
        return (not self._side_by_side) and self.has_image() and abs(pos.x() - self.divider_x()) <= HANDLE_GRAB_PX

    def mousePressEvent(self, event):  # noqa: N802
        if event.button() != Qt.LeftButton or not self.has_image():
            return super().mousePressEvent(event)
        pos = event.position()
        if self._near_divider(pos):
            self._drag = "divider"
        else:
            self._drag = "pan"
            self._drag_start = QPointF(pos)
            self._drag_centre = QPointF(self._centre)
            self.setCursor(Qt.ClosedHandCursor)
        event.accept()

    def mouseMoveEvent(self, event):  # noqa: N802
        pos = event.position()
        if self._drag == "divider":
            w = max(1, self.rect().width())
            self.set_divider(pos.x() / w)
        elif self._drag == "pan":
            d = (pos - self._drag_start) / self._zoom
            self._centre = self._drag_centre - d
            self._clamp_centre()
            if self._fit:
                self._fit = False
                self.zoomChanged.emit(self._zoom)  # "fit" no longer holds
            self.update()
        else:
            self.setCursor(Qt.SplitHCursor if self._near_divider(pos) else Qt.OpenHandCursor if self.has_image()
                           else Qt.ArrowCursor)
        event.accept()

    def mouseReleaseEvent(self, event):  # noqa: N802
        if self._drag is not None and event.button() == Qt.LeftButton:
            self._drag = None
            self.setCursor(Qt.SplitHCursor if self._near_divider(event.position()) else Qt.OpenHandCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event):  # noqa: N802
        if not self.has_image():
            return
        if self._fit:
            self.set_zoom(1.0, event.position())
        else:
            self.fit()
        event.accept()

    def wheelEvent(self, event):  # noqa: N802
        if not self.has_image():
            return
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.25 ** steps, event.position())
        event.accept()

    def keyPressEvent(self, event):  # noqa: N802
        step = 40
        key = event.key()
        if key == Qt.Key_Left and event.modifiers() & Qt.ShiftModifier:
            self.set_divider(self._divider - 0.05)
        elif key == Qt.Key_Right and event.modifiers() & Qt.ShiftModifier:
            self.set_divider(self._divider + 0.05)
        elif key in (Qt.Key_Left, Qt.Key_Right, Qt.Key_Up, Qt.Key_Down):
            dx = {Qt.Key_Left: step, Qt.Key_Right: -step}.get(key, 0)
            dy = {Qt.Key_Up: step, Qt.Key_Down: -step}.get(key, 0)
            self.pan_by(dx, dy)
        else:
            super().keyPressEvent(event)
