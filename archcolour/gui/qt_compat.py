"""Work around a PySide6 defect that crashes long sessions on Python 3.11.

PySide6-Essentials 6.12.0 (the only version the package index offers here) returns ``None`` from every
void method (``label.setText(...)``, ``widget.update()``, ``painter.drawText(...)``) and from an
invalid ``QVariant`` without taking a reference to it. Python 3.12 made ``None`` immortal, so there it
is harmless; on Python 3.11 each such call lowers ``None``'s reference count by one, and after a few
thousand calls (about 8,000 once the main window is built) the process dies with
``Fatal Python error: none_dealloc``. A few minutes of browsing previews was enough.

:func:`install` checks for the leak with a few calls and, only when it is there (CPython < 3.12),
raises ``None``'s reference count by a large margin, then keeps it topped up from a timer. ``None``
is a static object that is never freed, so its count has no other use; this only stops CPython from
aborting. Remove this module once the PySide6 in use no longer leaks (the test says so).
"""
from __future__ import annotations

import ctypes
import sys

MARGIN = 1 << 40  # references added at a time: far more than any session's void calls
_LOW = 1 << 30  # top up below this
_timer = None


def leaks_none(calls: int = 64) -> bool:
    """Does a void PySide6 call drop a reference to ``None``? (Needs no QApplication.)"""
    from PySide6.QtCore import QObject

    o = QObject()
    before = sys.getrefcount(None)
    for _ in range(calls):
        o.setObjectName("x")
    return before - sys.getrefcount(None) >= calls // 2


def _refcnt():
    return ctypes.c_ssize_t.from_address(id(None))


def top_up() -> None:
    if sys.getrefcount(None) < _LOW:
        _refcnt().value += MARGIN


def install() -> bool:
    """Apply the work-around when needed (idempotent); True when it is active."""
    global _timer
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    if _timer is not None:
        return True
    if not leaks_none():
        return False
    top_up()
    from PySide6.QtCore import QCoreApplication, QTimer

    if QCoreApplication.instance() is not None:
        _timer = QTimer(QCoreApplication.instance())
        _timer.setInterval(60_000)
        _timer.timeout.connect(top_up)
        _timer.start()
    else:  # no event loop yet: the margin alone lasts for any session
        _timer = True
    return True
