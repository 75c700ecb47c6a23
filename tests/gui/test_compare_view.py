"""The before/after view on its own: divider, zoom about the cursor, pan, side by side, painting."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

from archcolour.gui.compare_view import CompareView

GREY = QColor(128, 128, 128)
RED = QColor(220, 40, 40)


def solid(w, h, colour) -> QImage:
    img = QImage(w, h, QImage.Format_RGB888)
    img.fill(colour)
    return img


@pytest.fixture
def view(qtbot):
    v = CompareView()
    qtbot.addWidget(v)
    v.resize(400, 300)
    v.show()
    qtbot.waitExposed(v)
    v.set_images(solid(200, 100, GREY), solid(200, 100, RED))
    return v


def pixel(v: CompareView, x: int, y: int) -> QColor:
    return v.grab().toImage().pixelColor(x, y)


def test_fit_on_load_and_divider_splits_grey_from_colour(view):
    assert view.is_fit
    assert view.zoom == pytest.approx((400 - 8) / 200)
    y = 150
    assert pixel(view, 100, y) == GREY  # left of the divider: before
    assert pixel(view, 300, y) == RED  # right of the divider: after


def test_drag_divider(view, qtbot):
    x = round(view.divider_x())
    moved = []
    view.dividerMoved.connect(moved.append)
    qtbot.mousePress(view, Qt.LeftButton, pos=QPoint(x, 40))
    qtbot.mouseMove(view, QPoint(100, 40))
    qtbot.mouseRelease(view, Qt.LeftButton, pos=QPoint(100, 40))
    assert view.divider == pytest.approx(0.25)
    assert moved and moved[-1] == pytest.approx(0.25)
    assert pixel(view, 80, 150) == GREY
    assert pixel(view, 120, 150) == RED  # was grey before the drag
    # dragging the divider never pans the images
    assert view.centre == QPointF(100, 50)


def test_drag_elsewhere_pans_both_halves(view, qtbot):
    view.set_zoom(4.0)
    c0 = view.centre
    qtbot.mousePress(view, Qt.LeftButton, pos=QPoint(100, 150))
    qtbot.mouseMove(view, QPoint(140, 170))
    qtbot.mouseRelease(view, Qt.LeftButton, pos=QPoint(140, 170))
    assert view.centre == QPointF(c0.x() - 40 / 4.0, c0.y() - 20 / 4.0)
    assert view.divider == 0.5


def _wheel(view, pos: QPointF, steps: int):
    ev = QWheelEvent(pos, view.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120 * steps), Qt.NoButton,
                     Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(view, ev)


def test_wheel_zooms_about_the_cursor(view):
    anchor = QPointF(300, 120)
    under = view.widget_to_image(anchor)
    z0 = view.zoom
    _wheel(view, anchor, 2)
    assert view.zoom == pytest.approx(z0 * 1.25 ** 2)
    assert not view.is_fit
    back = view.widget_to_image(anchor)
    assert back.x() == pytest.approx(under.x(), abs=1e-6) and back.y() == pytest.approx(under.y(), abs=1e-6)
    view.actual_size()
    assert view.zoom == 1.0
    view.fit()
    assert view.is_fit and view.zoom == pytest.approx(z0)


def test_side_by_side_keeps_halves_aligned(view, qtbot):
    with qtbot.waitSignal(view.modeChanged):
        view.set_side_by_side(True)
    left, right = view.pane_rects()
    assert left.width() == right.width()
    view.set_zoom(3.0, QPointF(100, 100))
    view.pan_by(-25, 10)
    for pt in (QPointF(0, 0), QPointF(57.5, 33.25), QPointF(200, 100)):
        a = view.image_to_widget(pt, left) - left.topLeft()
        b = view.image_to_widget(pt, right) - right.topLeft()
        assert a == b
    # grey in the left pane, colour in the right one, at the same spot
    view.fit()
    img = view.grab().toImage()
    y = int(left.center().y())
    assert img.pixelColor(int(left.center().x()), y) == GREY
    assert img.pixelColor(int(right.center().x()), y) == RED


def test_message_when_empty(qtbot):
    v = CompareView()
    qtbot.addWidget(v)
    v.resize(300, 200)
    v.clear("nothing yet")
    assert not v.has_image()
    v.set_zoom(2.0)  # ignored without an image
    assert v.zoom == 1.0


def test_a_smaller_colour_pass_is_kept_at_its_size_and_drawn_over_the_before_image(qtbot):
    v = CompareView()
    qtbot.addWidget(v)
    v.resize(408, 308)  # fits 800 x 600 at 50 %
    v.show()
    qtbot.waitExposed(v)
    v.set_images(solid(800, 600, GREY), None)
    assert v.zoom == pytest.approx(0.5) and v.fit_area() == (400, 300)
    v.set_colour(solid(400, 300, RED))  # a first pass computed at the size the view shows it
    assert v.colour_size().width() == 400 and v._colour.width() == 400  # not scaled up on the UI thread
    assert v._pixmap_at_zoom("colour") is v._colour  # at fit: drawn as it is
    assert pixel(v, 100, 150) == GREY and pixel(v, 300, 150) == RED
    v.actual_size()  # 100 %: the smaller pass is drawn scaled to the before image, halves aligned
    assert v._pixmap_at_zoom("colour").width() == 800
    assert pixel(v, 100, 150) == GREY and pixel(v, 300, 150) == RED


# -- uncertain colour: a neutral hatch over the after image, cut to the worker's mask -------------------
COLOUR = QColor(180, 120, 60)


def half_mask(w: int, h: int) -> QImage:
    """An Alpha8 mask, the whole pattern on its left half, nothing on its right half."""
    m = QImage(w, h, QImage.Format_Alpha8)
    m.fill(0)
    for y in range(h):
        for x in range(w // 2):
            m.setPixelColor(x, y, QColor(0, 0, 0, 255))
    return m


@pytest.fixture
def doubt_view(qtbot):
    """200 x 100 before and after images; the colour's mask at half its size (as a first pass would be),
    marking the left half of the image (image x < 100)."""
    v = CompareView()
    qtbot.addWidget(v)
    v.resize(400, 300)
    v.show()
    qtbot.waitExposed(v)
    v.set_images(solid(200, 100, GREY), solid(200, 100, COLOUR), doubt=half_mask(100, 50))
    return v


def row(v: CompareView, y: int, x0: int, x1: int, img: QImage | None = None) -> list[QColor]:
    img = img if img is not None else v.grab().toImage()
    return [img.pixelColor(x, y) for x in range(x0, x1)]


def at(v: CompareView, ix: float, iy: float, pane: int = 0) -> tuple[int, int]:
    pt = v.image_to_widget(QPointF(ix, iy), v.pane_rects()[pane])
    return round(pt.x()), round(pt.y())


def hatched(pixels: list[QColor], base: QColor) -> bool:
    """Both lighter and darker than ``base`` along the row: the light and the dark lines."""
    light = sum(1 for c in pixels if c.lightness() > base.lightness() + 20)
    dark = sum(1 for c in pixels if c.lightness() < base.lightness() - 20)
    return light > 0 and dark > 0


def test_uncertain_colour_is_hatched_only_where_the_mask_is_and_only_when_shown(doubt_view):
    v = doubt_view
    v.set_divider(0.0)  # all after
    x_marked, y = at(v, 50, 50)
    x_clear, _ = at(v, 150, 50)
    assert v.has_doubt() and not v.show_doubt
    assert set(c.name() for c in row(v, y, x_marked - 15, x_marked + 15)) == {COLOUR.name()}  # off: the colour
    v.set_show_doubt(True)
    img = v.grab().toImage()
    marked = row(v, y, x_marked - 15, x_marked + 15, img)
    assert hatched(marked, COLOUR)
    assert set(c.name() for c in row(v, y, x_clear - 15, x_clear + 15, img)) == {COLOUR.name()}  # not marked
    # neutral: white and black lines over the colour, never a hue of their own (mixing with grey keeps
    # the hue and lowers the saturation)
    for c in marked:
        if c.hsvSaturation() > 40:
            assert abs(c.hsvHue() - COLOUR.hsvHue()) <= 4, c.name()
        assert c.hsvSaturation() <= COLOUR.hsvSaturation() + 3, c.name()
    v.set_show_doubt(False)
    assert set(c.name() for c in row(v, y, x_marked - 15, x_marked + 15)) == {COLOUR.name()}


def test_the_hatch_follows_the_divider_and_side_by_side(doubt_view, qtbot):
    v = doubt_view
    v.set_show_doubt(True)
    x, y = at(v, 50, 50)
    v.set_divider(1.0)  # all before: no hatch on the grey
    assert set(c.name() for c in row(v, y, x - 15, x + 15)) == {GREY.name()}
    v.set_divider((x + 2) / v.width())  # the divider through the marked part: hatch right of it only
    _, y = at(v, 50, 20)  # above the divider's handle
    img = v.grab().toImage()
    assert set(c.name() for c in row(v, y, x - 20, x - 4, img)) == {GREY.name()}
    assert hatched(row(v, y, x + 6, x + 30, img), COLOUR)
    with qtbot.waitSignal(v.modeChanged):
        v.set_side_by_side(True)
    img = v.grab().toImage()
    xl, yl = at(v, 50, 50, 0)
    xr, yr = at(v, 50, 50, 1)
    assert set(c.name() for c in row(v, yl, xl - 15, xl + 15, img)) == {GREY.name()}  # before pane
    assert hatched(row(v, yr, xr - 15, xr + 15, img), COLOUR)  # after pane, at the same image point
    xc, _ = at(v, 150, 50, 1)
    assert set(c.name() for c in row(v, yr, xc - 15, xc + 15, img)) == {COLOUR.name()}


@pytest.mark.parametrize("zoom", [None, 1.0, 4.0, 9.0])
def test_the_hatch_stays_on_its_image_points_and_keeps_its_spacing_on_screen_at_any_zoom(doubt_view, zoom):
    """Zoomed about the mask's edge (image x = 100): hatch left of it, none right of it (the mask is drawn
    through the view's transform); the pattern repeats every HATCH_PX screen pixels whatever the zoom."""
    from archcolour.gui.compare_view import HATCH_PX

    v = doubt_view
    v.set_divider(0.0)
    v.set_show_doubt(True)
    if zoom is not None:
        v.set_zoom(zoom, QPointF(*at(v, 100, 50)))
        v.pan_by(13, 0)  # a pan too: the pattern moves with the image
    edge, y = at(v, 100, 50)
    assert 0 < edge < v.width()
    blur = 3 + (v.zoom * 2 if v.zoom > 1 else 2)  # the mask is half the image's size, smoothly scaled
    img = v.grab().toImage()
    left = row(v, y, max(0, int(edge - blur - 40)), int(edge - blur), img)
    right = row(v, y, int(edge + blur), min(v.width(), int(edge + blur + 40)), img)
    assert hatched(left, COLOUR)
    assert set(c.name() for c in right) == {COLOUR.name()}
    period = [abs(left[i].lightness() - left[i + HATCH_PX].lightness()) for i in range(len(left) - HATCH_PX)]
    assert max(period) <= 3  # the same pattern one period on, at every zoom


def test_no_hatch_without_a_mask_or_without_colour(doubt_view):
    v = doubt_view
    v.set_divider(0.0)
    v.set_show_doubt(True)
    x, y = at(v, 50, 50)
    v.set_colour(solid(200, 100, COLOUR))  # a colour pass without a mask (one look)
    assert not v.has_doubt()
    assert set(c.name() for c in row(v, y, x - 15, x + 15)) == {COLOUR.name()}
    v.set_images(solid(200, 100, GREY), None, keep_view=True, doubt=half_mask(100, 50))  # no colour yet
    assert not v.has_doubt()
    assert set(c.name() for c in row(v, y, x - 15, x + 15)) == {GREY.name()}
