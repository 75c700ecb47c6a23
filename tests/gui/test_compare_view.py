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
