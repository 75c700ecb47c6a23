"""The metadata panel: the source's descriptive metadata beside the output's provenance.

Both are read on a background thread when the current image changes (never the source's hash):
the source's title, caption, creator, date and copyright (XMP, IPTC-IIM, EXIF), and the output's
provenance exactly as ``archcolour inspect`` prints it.
"""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QSplitter, QVBoxLayout, QWidget
from PySide6.QtCore import Qt

from .source_metadata import FIELDS


class _Signals(QObject):
    done = Signal(int, object, str)  # request id, SourceFields, provenance text


class _Read(QRunnable):
    def __init__(self, rid: int, source: Path, output: Path | None, signals: _Signals):
        super().__init__()
        self.rid, self.source, self.output, self.signals = rid, source, output, signals

    def run(self) -> None:
        from .source_metadata import read_source_metadata

        meta = read_source_metadata(self.source)
        self.signals.done.emit(self.rid, meta, provenance_text(self.output))


def provenance_text(output: Path | None) -> str:
    """What ``archcolour inspect OUTPUT`` prints (or why there is nothing to show)."""
    if output is None or not Path(output).exists():
        return "Not colourised yet: the provenance appears here once the output is written."
    from .. import provenance

    try:
        prov = provenance.read_provenance(output)
    except Exception as exc:  # noqa: BLE001 - shown, never raised
        return f"Cannot read the provenance of {Path(output).name}: {' '.join(str(exc).split())}"
    return provenance.format_provenance(output, prov)


class MetadataPanel(QWidget):
    shown = Signal(str)  # source path whose metadata is on show

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        split = QSplitter(Qt.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        head = QLabel("<b>Source</b> (descriptive metadata)")
        head.setWordWrap(True)
        ll.addWidget(head)
        self.source_label = QLabel("")
        self.source_label.setMinimumWidth(120)
        self.source_label.setWordWrap(True)
        self.source_label.setTextFormat(Qt.RichText)
        self.source_label.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.source_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        ll.addWidget(self.source_label, 1)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        head = QLabel("<b>Output</b> (provenance, as <tt>archcolour inspect</tt> shows it)")
        head.setWordWrap(True)
        rl.addWidget(head)
        self.provenance = QPlainTextEdit()
        self.provenance.setReadOnly(True)
        self.provenance.setMinimumWidth(160)
        self.provenance.setLineWrapMode(QPlainTextEdit.NoWrap)
        f = self.provenance.font()
        f.setFamily("monospace")
        f.setStyleHint(f.StyleHint.Monospace)
        f.setPointSizeF(f.pointSizeF() * 0.9)
        self.provenance.setFont(f)
        rl.addWidget(self.provenance, 1)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([300, 500])
        lay.addWidget(split)
        self._rid = 0
        self._signals = _Signals()
        self._signals.done.connect(self._on_done)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._source: Path | None = None

    def show_entry(self, source: Path | None, output: Path | None) -> None:
        self._rid += 1
        self._source = source
        if source is None:
            self.source_label.setText("")
            self.provenance.setPlainText("")
            return
        self.source_label.setText(f"{html.escape(source.name)} · reading…")
        self._pool.start(_Read(self._rid, source, output, self._signals))

    def _on_done(self, rid: int, meta, prov: str) -> None:
        if rid != self._rid or self._source is None:
            return
        rows = []
        for key, label in FIELDS:
            v = meta.values.get(key)
            if v:
                rows.append(f"<tr><td><b>{label}</b>&nbsp;&nbsp;</td><td>{html.escape(v[0])} "
                            f"<span style='color: gray'>({v[1]})</span></td></tr>")
        body = (f"<table>{''.join(rows)}</table>" if rows
                else "<i>No caption, creator, date or copyright is recorded in this file.</i>")
        self.source_label.setText(f"<p>{html.escape(self._source.name)}</p>{body}")
        self.provenance.setPlainText(prov)
        self.shown.emit(str(self._source))

    def shutdown(self) -> None:
        self._pool.clear()
        self._pool.waitForDone(5000)
