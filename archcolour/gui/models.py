"""The list of images shown in the window: one row per source image with its state and thumbnail."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap


class State(enum.Enum):
    PENDING = "pending"
    WORKING = "working"
    DONE = "colourised"
    SKIPPED = "skipped"
    FAILED = "failed"
    CONFLICT = "conflict"  # an output of another photograph has this image's output name

    @property
    def label(self) -> str:
        return {"pending": "Pending", "working": "Colourising…", "colourised": "Colourised",
                "skipped": "Skipped", "failed": "Failed", "conflict": "Name taken"}[self.value]

    @property
    def colour(self) -> QColor:
        return QColor({"pending": "#7a7a7a", "working": "#2a6fdb", "colourised": "#2e8b3a",
                       "skipped": "#b07d12", "failed": "#c62828", "conflict": "#b0521a"}[self.value])


# custom roles
PathRole = Qt.UserRole + 1
StateRole = Qt.UserRole + 2
MessageRole = Qt.UserRole + 3
OutputRole = Qt.UserRole + 4
ThumbRole = Qt.UserRole + 5
EntryRole = Qt.UserRole + 6
FlagRole = Qt.UserRole + 7


@dataclass(eq=False)
class ImageEntry:
    source: Path
    root: Path | None  # the opened folder this image belongs to; None for a dropped single file
    state: State = State.PENDING
    message: str = ""
    output: Path | None = None
    thumb: QPixmap | None = None
    thumb_is_output: bool = False
    flag: str | None = None  # review flag of the output: accepted / rejected / redo
    own: Any = None  # the image's own settings (archcolour.image_settings.ImageSettings); None: the folder's

    @property
    def display_name(self) -> str:
        if self.root is not None:
            try:
                return str(self.source.relative_to(self.root))
            except ValueError:
                pass
        return self.source.name


class ImageListModel(QAbstractListModel):
    """Rows of :class:`ImageEntry`; looked up by source path."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._entries: list[ImageEntry] = []
        self._index: dict[Path, int] = {}
        self.thumb_size = QSize(72, 72)
        self._placeholder: QPixmap | None = None

    # -- Qt model API ---------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        e = self._entries[index.row()]
        if role == Qt.DisplayRole:
            return e.display_name
        if role == Qt.ToolTipRole:
            tip = f"{e.source}\n{e.state.label}"
            if e.message:
                tip += f": {e.message}"
            if e.output is not None and e.state in (State.DONE, State.SKIPPED):
                tip += f"\nOutput: {e.output}"
            if e.own is not None:
                tip += f"\nOwn settings: {e.own.describe()}"
            return tip
        if role == Qt.DecorationRole:
            return QIcon(e.thumb) if e.thumb is not None else None
        if role == PathRole:
            return str(e.source)
        if role == StateRole:
            return e.state
        if role == MessageRole:
            return e.message
        if role == OutputRole:
            return str(e.output) if e.output else None
        if role == ThumbRole:
            return e.thumb
        if role == EntryRole:
            return e
        if role == FlagRole:
            return e.flag
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.NoItemFlags
        return Qt.ItemIsEnabled | Qt.ItemIsSelectable

    # -- content -----------------------------------------------------------------------------
    def clear(self) -> None:
        self.beginResetModel()
        self._entries.clear()
        self._index.clear()
        self.endResetModel()

    def add_entries(self, entries: list[ImageEntry]) -> list[ImageEntry]:
        """Append entries whose source is not listed yet; returns those added."""
        new = []
        seen = set(self._index)
        for e in entries:
            key = _key(e.source)
            if key in seen:
                continue
            seen.add(key)
            new.append(e)
        if not new:
            return []
        first = len(self._entries)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        for e in new:
            self._index[_key(e.source)] = len(self._entries)
            self._entries.append(e)
        self.endInsertRows()
        return new

    def entries(self) -> list[ImageEntry]:
        return list(self._entries)

    def entry(self, row: int) -> ImageEntry:
        return self._entries[row]

    def row_of(self, source: Path) -> int | None:
        return self._index.get(_key(source))

    def find(self, source: Path) -> ImageEntry | None:
        row = self.row_of(source)
        return None if row is None else self._entries[row]

    def index_of(self, source: Path) -> QModelIndex:
        row = self.row_of(source)
        return QModelIndex() if row is None else self.index(row)

    def update(self, source: Path, *, state: State | None = None, message: str | None = None,
               output: Path | None = None) -> ImageEntry | None:
        row = self.row_of(source)
        if row is None:
            return None
        e = self._entries[row]
        if state is not None:
            e.state = state
        if message is not None:
            e.message = message
        if output is not None:
            e.output = output
        idx = self.index(row)
        self.dataChanged.emit(idx, idx, [Qt.DisplayRole, Qt.ToolTipRole, StateRole, MessageRole, OutputRole])
        return e

    def set_flag(self, source: Path, flag: str | None) -> None:
        row = self.row_of(source)
        if row is None:
            return
        self._entries[row].flag = flag
        idx = self.index(row)
        self.dataChanged.emit(idx, idx, [FlagRole, Qt.ToolTipRole])

    def set_own_settings(self, source: Path, own) -> None:
        """The image's own settings changed (None: the folder's): its marker and tooltip follow."""
        row = self.row_of(source)
        if row is None or self._entries[row].own == own:
            return
        self._entries[row].own = own
        idx = self.index(row)
        self.dataChanged.emit(idx, idx, [Qt.ToolTipRole, EntryRole])

    def set_thumbnail(self, source: Path, image: QImage, *, is_output: bool = False) -> None:
        row = self.row_of(source)
        if row is None:
            return
        e = self._entries[row]
        if e.thumb_is_output and not is_output:
            return  # a colourised thumbnail is not replaced by the grey one arriving late
        e.thumb = QPixmap.fromImage(image)
        e.thumb_is_output = is_output
        idx = self.index(row)
        self.dataChanged.emit(idx, idx, [Qt.DecorationRole, ThumbRole])

    def counts(self) -> dict[State, int]:
        out = {s: 0 for s in State}
        for e in self._entries:
            out[e.state] += 1
        return out


def _key(p: Path) -> Path:
    try:
        return Path(p).resolve()
    except OSError:
        return Path(p).absolute()


__all__ = ["EntryRole", "FlagRole", "ImageEntry", "ImageListModel", "MessageRole", "OutputRole", "PathRole", "State",
           "StateRole", "ThumbRole", "QPersistentModelIndex"]
