"""The batch report: an output folder's ``manifest.jsonl`` as a table, exportable as CSV.

Rows are the manifest's item records, newest first, with the review flag of each output beside them.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QFileDialog, QHeaderView, QLabel, QTableWidget, QTableWidgetItem,
    QVBoxLayout,
)

#: (manifest key, column heading)
COLUMNS = [("time", "Time"), ("source", "Source"), ("output", "Output"), ("status", "Status"),
           ("message", "Message"), ("flag", "Review flag"), ("model", "Model"), ("seconds", "Seconds"),
           ("source_sha256", "Source SHA-256"), ("output_sha256", "Output SHA-256")]


def report_rows(folder: Path) -> list[dict]:
    """Item records of ``folder/manifest.jsonl`` (newest first) with their review flags."""
    from .. import provenance
    from .review_store import read_flags

    records = list(provenance.iter_items(provenance.read_manifest(Path(folder) / provenance.MANIFEST_NAME)))
    flags = read_flags(folder)
    rows = []
    for r in reversed(records):
        row = {k: r.get(k) for k, _ in COLUMNS}
        out = r.get("output")
        if out:
            try:
                row["flag"] = flags.get(Path(out).resolve().relative_to(Path(folder).resolve()).as_posix())
            except ValueError:
                row["flag"] = None
        rows.append(row)
    return rows


def rows_to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([h for _, h in COLUMNS])
    for r in rows:
        w.writerow(["" if r.get(k) is None else r.get(k) for k, _ in COLUMNS])
    return buf.getvalue()


class ReportDialog(QDialog):
    def __init__(self, folder: Path, parent=None):
        super().__init__(parent)
        self.folder = Path(folder)
        self.setWindowTitle(f"Batch report — {self.folder.name}")
        self.resize(1000, 520)
        lay = QVBoxLayout(self)
        self.rows = report_rows(self.folder)
        done = sum(r["status"] == "done" for r in self.rows)
        failed = sum(r["status"] == "failed" for r in self.rows)
        info = QLabel(f"{self.folder} · {len(self.rows)} records in manifest.jsonl · {done} colourised · "
                      f"{failed} failed")
        info.setWordWrap(True)
        lay.addWidget(info)
        self.table = QTableWidget(len(self.rows), len(COLUMNS))
        self.table.setHorizontalHeaderLabels([h for _, h in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        for i, r in enumerate(self.rows):
            for j, (k, _) in enumerate(COLUMNS):
                v = r.get(k)
                if k in ("source", "output") and v:
                    text = Path(v).name
                elif k.endswith("sha256") and v:
                    text = v[:12] + "…"
                else:
                    text = "" if v is None else str(v)
                item = QTableWidgetItem(text)
                if v is not None:
                    item.setToolTip(str(v))
                self.table.setItem(i, j, item)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.table.resizeColumnsToContents()
        self.table.setSortingEnabled(True)
        lay.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.export_button = buttons.addButton("Export CSV…", QDialogButtonBox.ActionRole)
        self.export_button.clicked.connect(self.export_csv)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def export_csv(self, path: str | None = None) -> Path | None:
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Export the report as CSV",
                                                  str(self.folder / "report.csv"), "CSV (*.csv)")
        if not path:
            return None
        from ..fsutil import atomic_write_bytes

        atomic_write_bytes(Path(path), rows_to_csv(self.rows).encode("utf-8"))
        return Path(path)


__all__ = ["COLUMNS", "ReportDialog", "report_rows", "rows_to_csv", "Qt"]
