"""Reviewing outputs: the contact sheet (grid), flags (P accepted, X rejected, U to redo), filter and sort.

Flags live in ``review.jsonl`` beside the manifest (see :mod:`archcolour.gui.review_store`); the grid
shows the same rows as the list (one model), filtered and sorted by a proxy.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QRectF, QSize, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QLabel, QListView, QStyle, QStyledItemDelegate, QVBoxLayout, QWidget,
)

from .models import EntryRole, State
from .review_store import FLAGS, LABELS, ReviewStore
from .widgets import ElidedLabel, paint_own_settings_marker

FLAG_COLOURS = {"accepted": "#2e8b3a", "rejected": "#c62828", "redo": "#b07d12"}
FLAG_MARKS = {"accepted": "✓", "rejected": "✕", "redo": "↻"}

#: (label, key) of the grid's filter: by state or by flag
FILTERS = [("All images", "all"), ("Colourised", "state:colourised"), ("Not yet colourised", "state:pending"),
           ("Failed", "state:failed"), ("Accepted", "flag:accepted"), ("Rejected", "flag:rejected"),
           ("To redo", "flag:redo"), ("Not yet reviewed", "flag:none")]
SORTS = [("Name", "name"), ("Status", "state"), ("Flag", "flag")]
_STATE_ORDER = {s: i for i, s in enumerate((State.FAILED, State.CONFLICT, State.PENDING, State.WORKING,
                                            State.SKIPPED, State.DONE))}
_FLAG_ORDER = {"rejected": 0, "redo": 1, None: 2, "accepted": 3}


class ReviewProxy(QSortFilterProxyModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.filter_key = "all"
        self.sort_key = "name"
        self.setDynamicSortFilter(True)

    def set_filter(self, key: str) -> None:
        self.filter_key = key
        self.invalidate()

    def set_sort(self, key: str) -> None:
        self.sort_key = key
        self.invalidate()
        self.sort(0)

    def filterAcceptsRow(self, row, parent):  # noqa: N802
        e = self.sourceModel().index(row, 0, parent).data(EntryRole)
        return accepts(self.filter_key, e)

    def lessThan(self, left, right):  # noqa: N802
        a, b = left.data(EntryRole), right.data(EntryRole)
        return sort_key(self.sort_key, a) < sort_key(self.sort_key, b)


def accepts(key: str, e) -> bool:
    if e is None or key == "all":
        return True
    kind, _, value = key.partition(":")
    if kind == "state":
        return e.state.value == value or (value == "pending" and e.state in (State.PENDING, State.CONFLICT))
    if kind == "flag":
        return (e.flag is None) if value == "none" else e.flag == value
    return True


def sort_key(key: str, e) -> tuple:
    name = e.display_name.lower()
    if key == "state":
        return (_STATE_ORDER.get(e.state, 9), name)
    if key == "flag":
        return (_FLAG_ORDER.get(e.flag, 9), name)
    return (name,)


class GridDelegate(QStyledItemDelegate):
    """A contact-sheet cell: the output's thumbnail (the source's until there is one), name, flag mark."""

    CELL = QSize(176, 200)

    def sizeHint(self, option, index):  # noqa: N802
        return self.CELL

    def paint(self, p, option, index):
        e = index.data(EntryRole)
        if e is None:
            return super().paint(p, option, index)
        p.save()
        r = QRectF(option.rect).adjusted(4, 4, -4, -4)
        selected = bool(option.state & QStyle.State_Selected)
        pal = option.palette
        p.fillRect(r, pal.highlight() if selected else pal.base())
        box = QRectF(r.left() + 6, r.top() + 6, r.width() - 12, r.height() - 44)
        if e.thumb is not None and not e.thumb.isNull():
            pm = e.thumb
            s = min(box.width() / pm.width(), box.height() / pm.height())
            w, h = pm.width() * s, pm.height() * s
            p.setRenderHint(p.RenderHint.SmoothPixmapTransform)
            p.drawPixmap(QRectF(box.center().x() - w / 2, box.center().y() - h / 2, w, h), pm, QRectF(pm.rect()))
            if not e.thumb_is_output:
                p.fillRect(QRectF(box.center().x() - w / 2, box.center().y() - h / 2, w, h), QColor(255, 255, 255, 90))
        else:
            p.fillRect(box, QColor("#d8d8d8"))
        p.setPen(pal.color(QPalette.HighlightedText if selected else QPalette.Text))
        fm = p.fontMetrics()
        name_rect = QRectF(r.left() + 6, box.bottom() + 4, r.width() - 12, fm.height())
        p.drawText(name_rect, Qt.AlignLeft | Qt.AlignVCenter,
                   fm.elidedText(e.display_name, Qt.ElideMiddle, int(name_rect.width())))
        p.setPen(e.state.colour if not selected else pal.color(QPalette.HighlightedText))
        p.drawText(QRectF(name_rect.left(), name_rect.bottom() + 1, name_rect.width(), fm.height()),
                   Qt.AlignLeft | Qt.AlignVCenter, e.state.label)
        if e.own is not None:  # settings of its own (the tooltip says which)
            paint_own_settings_marker(p, QRectF(box.left() + 4, box.top() + 4, 22, 22), option.font)
        if e.flag in FLAG_COLOURS:
            f = QFont(option.font)
            f.setBold(True)
            p.setFont(f)
            badge = QRectF(box.right() - 26, box.top() + 4, 22, 22)
            p.setRenderHint(p.RenderHint.Antialiasing)
            p.setPen(Qt.NoPen)
            p.setBrush(QColor(FLAG_COLOURS[e.flag]))
            p.drawEllipse(badge)
            p.setPen(QColor("white"))
            p.drawText(badge, Qt.AlignCenter, FLAG_MARKS[e.flag])
        p.restore()


class ReviewGrid(QWidget):
    """The contact sheet with its filter and sort choices."""

    currentChanged = Signal(object)  # ImageEntry

    def __init__(self, model, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.filter_combo = QComboBox()
        for label, key in FILTERS:
            self.filter_combo.addItem(label, key)
        self.sort_combo = QComboBox()
        for label, key in SORTS:
            self.sort_combo.addItem(label, key)
        for c in (self.filter_combo, self.sort_combo):
            c.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            c.setMinimumContentsLength(5)
        self.filter_combo.setToolTip("Show only the images in this state or with this flag")
        self.sort_combo.setToolTip("Order of the contact sheet")
        self.count = ElidedLabel("", mode=Qt.ElideRight)
        self.count.setStyleSheet("color: palette(mid);")
        self.count.setToolTip("Flags: P accepted · X rejected · U to redo · 0 clear")
        bar.addWidget(self.filter_combo)
        bar.addWidget(QLabel("sorted by"))
        bar.addWidget(self.sort_combo)
        bar.addWidget(self.count, 1)
        lay.addLayout(bar)
        self.proxy = ReviewProxy(self)
        self.proxy.setSourceModel(model)
        self.view = QListView()
        self.view.setViewMode(QListView.IconMode)
        self.view.setResizeMode(QListView.Adjust)
        self.view.setMovement(QListView.Static)
        self.view.setUniformItemSizes(True)
        self.view.setSpacing(2)
        self.view.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.view.setModel(self.proxy)
        self.view.setItemDelegate(GridDelegate(self.view))
        lay.addWidget(self.view, 1)
        self.filter_combo.currentIndexChanged.connect(lambda _i: self._refilter())
        self.sort_combo.currentIndexChanged.connect(lambda _i: self.proxy.set_sort(self.sort_combo.currentData()))
        self.view.selectionModel().currentChanged.connect(self._on_current)
        for sig in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset, self.proxy.layoutChanged):
            sig.connect(lambda *_a: self._update_count())
        self.proxy.sort(0)

    def _refilter(self) -> None:
        self.proxy.set_filter(self.filter_combo.currentData())
        self._update_count()

    def _update_count(self) -> None:
        self.count.setText(f"{self.proxy.rowCount()} of {self.proxy.sourceModel().rowCount()} · "
                           "P accept · X reject · U redo · 0 clear")

    def _on_current(self, current, _previous) -> None:
        if current.isValid():
            self.currentChanged.emit(current.data(EntryRole))

    def selected_entries(self) -> list:
        return [i.data(EntryRole) for i in self.view.selectionModel().selectedIndexes()]

    def select_entry(self, e) -> None:
        src = self.proxy.sourceModel().index_of(e.source)
        idx = self.proxy.mapFromSource(src)
        if idx.isValid() and self.view.currentIndex() != idx:
            self.view.selectionModel().setCurrentIndex(idx, self.view.selectionModel().SelectionFlag.ClearAndSelect)


class ReviewController(QObject):
    """Flags of the listed images' outputs, read from and written to ``review.jsonl``."""

    flagged = Signal(int)  # number of images whose flag was set

    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.store = ReviewStore()

    def forget(self) -> None:
        self.store.forget()

    def flag_of(self, e) -> str | None:
        if e.output is None:
            return None
        try:
            return self.store.get(e.output, self.win.export.output_dir)
        except OSError:
            return None

    def set_flag(self, e, flag: str | None) -> bool:
        if e.output is None:
            return False
        try:
            self.store.set(e.output, self.win.export.output_dir, flag)
        except OSError as exc:
            self.win.statusBar().showMessage(f"Flag not saved: {exc}", 8000)
            return False
        self.win.model.set_flag(e.source, flag)
        return True

    def flag_selected(self, flag: str | None) -> None:
        """Flag the selection (grid or list); only images with an output can be flagged."""
        win = self.win
        entries = win.grid.selected_entries() if win.grid_action.isChecked() else win.selected_entries()
        if not entries:
            cur = win.list_view.currentIndex()
            entries = [win.model.entry(cur.row())] if cur.isValid() else []
        done = [e for e in entries if e.state == State.DONE and e.output is not None and e.output.exists()]
        n = sum(self.set_flag(e, flag) for e in done)
        if n:
            win.statusBar().showMessage(f"{n} image(s) flagged {LABELS[flag].lower()}", 4000)
        elif entries:
            win.statusBar().showMessage("Only colourised images can be flagged.", 4000)
        self.flagged.emit(n)
        win.update_actions()

    def counts(self) -> dict:
        out = {f: 0 for f in FLAGS}
        for e in self.win.model.entries():
            if e.flag in out:
                out[e.flag] += 1
        return out
