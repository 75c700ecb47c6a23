"""Widgets around the main window: the image list's row painter, export options, batch progress."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette, QPen
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QFileDialog, QFormLayout, QFrame, QHBoxLayout, QLabel, QLineEdit, QProgressBar,
    QPushButton, QRadioButton, QSpinBox, QStyle, QStyledItemDelegate, QToolButton, QVBoxLayout, QWidget,
)

from ..choices import DEFAULT_ENSEMBLE, DEVICE_CHOICES as CHOICES_DEVICES, ENSEMBLES, WORKING_SIZE_PRESETS
from ..formats import OUTPUT_CHOICES, output_choice
from .models import EntryRole, State
from .naming import DEFAULT_TEMPLATE as DEFAULT_NAMING
from .widgets import ElidedLabel, paint_own_settings_marker

# -- export choices <-> batch options (the vocabularies live in archcolour.formats / archcolour.choices) --
FORMAT_CHOICES = [(c.label, c.key) for c in OUTPUT_CHOICES]
WORKING_SIZES = list(WORKING_SIZE_PRESETS)
DEVICE_CHOICES = [(label, key) for key, label in CHOICES_DEVICES]
#: The window's words for the test-time ensembles (the names and what they do: choices.ENSEMBLES).
ENSEMBLE_LABELS = {"full": "Best: several looks (slower)", "mirror": "Mirror: two looks", "none": "Fast: one look"}


def ensemble_word(name: str) -> str:
    """The short word for an ensemble (its label up to the colon: "Best", "Mirror", "Fast"), for lines
    too narrow for the whole label."""
    return ENSEMBLE_LABELS.get(name, name).split(":")[0]


#: bit depth choices: the format's own (16 for 16-bit sources in PNG/TIFF), or forced
BIT_DEPTHS = [("Automatic", None), ("8 bits", "8"), ("16 bits", "16")]


def batch_format(fmt: str) -> tuple[str, str]:
    """Settings format -> (batch fmt, bit_depth)."""
    try:
        c = output_choice(fmt)
    except ValueError:
        c = output_choice("same")
    return c.key, c.gui_bit_depth


def _has_quality(fmt: str) -> bool:
    """Does this output choice take a quality (JPEG, WebP)?"""
    return batch_format(fmt)[0] in ("jpg", "webp")


class ImageDelegate(QStyledItemDelegate):
    """Paints a row: thumbnail, name, a coloured state badge and the state's message."""

    THUMB = 64
    PAD = 6

    def sizeHint(self, option, index):  # noqa: N802
        return QSize(200, self.THUMB + 2 * self.PAD)

    def paint(self, p, option, index):
        entry = index.data(EntryRole)
        if entry is None:
            return super().paint(p, option, index)
        p.save()
        r = option.rect
        pal = option.palette
        selected = bool(option.state & QStyle.State_Selected)
        if selected:
            p.fillRect(r, pal.highlight())
        elif index.row() % 2:
            p.fillRect(r, pal.alternateBase())
        # thumbnail, aspect kept, centred in its box
        box = QRectF(r.left() + self.PAD, r.top() + self.PAD, self.THUMB, self.THUMB)
        if entry.thumb is not None and not entry.thumb.isNull():
            pm = entry.thumb
            s = min(box.width() / pm.width(), box.height() / pm.height())
            w, h = pm.width() * s, pm.height() * s
            p.setRenderHint(p.RenderHint.SmoothPixmapTransform)
            p.drawPixmap(QRectF(box.center().x() - w / 2, box.center().y() - h / 2, w, h), pm, QRectF(pm.rect()))
        else:
            p.fillRect(box, QColor("#d8d8d8") if not selected else QColor("#9db8e0"))
            p.setPen(QColor("#8a8a8a"))
            p.drawText(box, Qt.AlignCenter, "…")
        # text
        x = box.right() + 10
        width = r.right() - x - self.PAD
        text_pen = pal.color(QPalette.HighlightedText if selected else QPalette.Text)
        f = QFont(option.font)
        f.setBold(True)
        p.setFont(f)
        fm = QFontMetrics(f)
        p.setPen(text_pen)
        name_rect = QRectF(x, r.top() + self.PAD, width, fm.height())
        p.drawText(name_rect, Qt.AlignLeft | Qt.AlignVCenter, fm.elidedText(entry.display_name, Qt.ElideMiddle, int(width)))
        # state badge
        f2 = QFont(option.font)
        f2.setPointSizeF(max(6.0, f2.pointSizeF() * 0.9))
        p.setFont(f2)
        fm2 = QFontMetrics(f2)
        label = entry.state.label
        bw = fm2.horizontalAdvance(label) + 12
        badge = QRectF(x, name_rect.bottom() + 4, bw, fm2.height() + 4)
        p.setRenderHint(p.RenderHint.Antialiasing)
        p.setPen(Qt.NoPen)
        p.setBrush(entry.state.colour)
        p.drawRoundedRect(badge, 4, 4)
        p.setPen(QColor("white"))
        p.drawText(badge, Qt.AlignCenter, label)
        right = badge.right()
        if entry.flag:
            from .review import FLAG_COLOURS, FLAG_MARKS

            mark = QRectF(badge.right() + 6, badge.top(), badge.height(), badge.height())
            p.setPen(Qt.NoPen)
            p.setBrush(QColor(FLAG_COLOURS.get(entry.flag, "#777")))
            p.drawEllipse(mark)
            p.setPen(QColor("white"))
            p.drawText(mark, Qt.AlignCenter, FLAG_MARKS.get(entry.flag, "?"))
            right = mark.right()
        if entry.own is not None:  # settings of its own (the tooltip says which)
            paint_own_settings_marker(p, QRectF(right + 6, badge.top(), badge.height(), badge.height()), f2)
        # message (the error for a failed image)
        if entry.message:
            msg_rect = QRectF(x, badge.bottom() + 2, width, r.bottom() - badge.bottom() - 2)
            colour = entry.state.colour if entry.state == State.FAILED and not selected else text_pen
            p.setPen(QPen(colour))
            p.drawText(msg_rect, Qt.AlignLeft | Qt.AlignTop,
                       fm2.elidedText(entry.message, Qt.ElideRight, int(width)))
        p.restore()


class ExportPanel(QWidget):
    """Export choices: output folder, format (+ JPEG quality), working size, colour quality (the test-time
    ensemble), existing outputs, device."""

    changed = Signal()
    engineChanged = Signal()  # device changed: the engine must be reloaded
    colouriseSelected = Signal()
    colouriseAll = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.help_labels: dict[str, QLabel] = {}
        self.default_parent: Path | None = None  # the opened folder, where the default output folder goes
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.WrapLongRows)

        preset_row = QHBoxLayout()
        self.preset_combo = QComboBox()
        self.preset_combo.setToolTip("Ready-made export choices; pick one, or save the current choices")
        self.preset_save = QToolButton()
        self.preset_save.setText("Save…")
        self.preset_save.setToolTip("Save the current format, bit depth, quality and file names as a preset")
        preset_row.addWidget(self.preset_combo, 1)
        preset_row.addWidget(self.preset_save)
        form.addRow("Preset", preset_row)
        self._help(form, "preset", "A preset sets the format, bit depth, quality and file names at once.")

        out_row = QHBoxLayout()
        self.output_edit = QLineEdit()
        self.output_edit.setPlaceholderText("colourised/ (default)")
        self.output_edit.setToolTip("Where colourised images are written. Empty: a folder named 'colourised' "
                                    "beside the source images. Sources are never overwritten.")
        self.output_browse = QToolButton()
        self.output_browse.setText("…")
        self.output_browse.setToolTip("Choose the output folder")
        self.output_reset = QToolButton()
        self.output_reset.setText("↺")
        self.output_reset.setToolTip("Back to the default (a 'colourised' folder beside the sources)")
        out_row.addWidget(self.output_edit, 1)
        out_row.addWidget(self.output_browse)
        out_row.addWidget(self.output_reset)
        form.addRow("Output folder", out_row)
        self._help(form, "output", "Where the colourised copies go. Empty: a 'colourised' folder beside the "
                   "photographs. Your originals are never changed.")

        self.format_combo = QComboBox()
        for label, key in FORMAT_CHOICES:
            self.format_combo.addItem(label, key)
        form.addRow("Format", self.format_combo)
        self.depth_combo = QComboBox()
        for label, key in BIT_DEPTHS:
            self.depth_combo.addItem(label, key)
        form.addRow("Bit depth", self.depth_combo)
        self._help(form, "format", "PNG or TIFF keep every detail (16 bits keeps the fine tones of 16-bit scans); "
                   "JPEG and WebP are smaller files for sharing.")

        self.quality_spin = QSpinBox()
        self.quality_spin.setRange(1, 100)
        self.quality_spin.setValue(95)
        self.quality_spin.setToolTip("JPEG and WebP quality (1-100)")
        form.addRow("Quality", self.quality_spin)
        self._help(form, "quality", "JPEG and WebP only: 90-95 looks like the original; lower gives smaller "
                   "files with visible blocks.")

        self.size_combo = QComboBox()
        self.size_combo.addItem("Model default", None)
        for s in WORKING_SIZES:
            self.size_combo.addItem(f"{s} px", s)
        self.size_combo.setToolTip("Short side of the image the network sees. Larger: finer colour detail, slower. "
                                   "The output always has the source's full resolution.")
        form.addRow("Working size", self.size_combo)
        self._help(form, "size", "How large the photograph is when the model looks at it. Raise it when small "
                   "things (faces, signs) get the wrong colour; it is slower. The output always keeps the "
                   "full size.")

        self.ensemble_combo = QComboBox()
        for name in ENSEMBLES:
            self.ensemble_combo.addItem(ENSEMBLE_LABELS.get(name, name), name)
        self.ensemble_combo.setCurrentIndex(max(0, self.ensemble_combo.findData(DEFAULT_ENSEMBLE)))
        self.ensemble_combo.setToolTip(
            "How many looks the model takes at each photograph; their colours are combined.\n"
            "Best: the photograph and its mirror image, each at the working size and at 0.75x and 1.33x of it; "
            "where the looks disagree the colour is toned down, so unsure patches stay muted "
            "(the model's work x6.7, a whole image 1.2x to 4.2x slower); View → Show uncertain colour "
            "(Ctrl+U) hatches those patches in the preview.\n"
            "Mirror: the photograph and its mirror image, averaged (the model's work x2).\n"
            "Fast: one look (quickest).\n"
            "The preview shows one look first, then the chosen quality; outputs record it in their provenance.")
        form.addRow("Colour quality", self.ensemble_combo)
        self._help(form, "ensemble", "Best looks at each photograph several ways (mirrored, larger, smaller) and "
                   "tones the colour down where the looks disagree: fewer false patches, but up to 4 times "
                   "slower. Fast looks once.")
        self.naming_edit = QLineEdit(DEFAULT_NAMING)
        self.naming_edit.setToolTip("{stem} is the source's name without its extension")
        form.addRow("File names", self.naming_edit)
        self.mirror_check = QCheckBox("Mirror sub-folders")
        self.mirror_check.setChecked(True)
        form.addRow("", self.mirror_check)
        self._help(form, "naming", "{stem}_colourised turns Greece1911.jpg into Greece1911_colourised.jpg. "
                   "Mirroring keeps each sub-folder's photographs in a sub-folder of the same name.")

        ex = QWidget()
        ex_lay = QHBoxLayout(ex)
        ex_lay.setContentsMargins(0, 0, 0, 0)
        self.skip_radio = QRadioButton("Skip")
        self.overwrite_radio = QRadioButton("Overwrite")
        self.skip_radio.setChecked(True)
        self._exist_group = QButtonGroup(self)
        self._exist_group.addButton(self.skip_radio)
        self._exist_group.addButton(self.overwrite_radio)
        ex_lay.addWidget(self.skip_radio)
        ex_lay.addWidget(self.overwrite_radio)
        ex_lay.addStretch(1)
        form.addRow("Existing outputs", ex)
        self._help(form, "existing", "Skip leaves finished copies alone, so a stopped batch carries on where it "
                   "was. Overwrite (for this session only) replaces them.")

        self.device_combo = QComboBox()
        for label, key in DEVICE_CHOICES:
            self.device_combo.addItem(label, key)
        form.addRow("Device", self.device_combo)
        self._help(form, "device", "Where the model runs. Automatic uses a graphics card when there is one, "
                   "else the processor.")
        lay.addLayout(form)

        self.run_selected = QPushButton("Colourise selected")
        self.run_selected.setToolTip("Colourise the selected images (Ctrl+Return)")
        self.run_all = QPushButton("Colourise all")
        self.run_all.setToolTip("Colourise every image in the list (Ctrl+Shift+Return)")
        self.run_all.setDefault(True)
        lay.addSpacing(6)
        lay.addWidget(self.run_selected)
        lay.addWidget(self.run_all)
        self.note = QLabel("Provenance (source, model, hash) is embedded in every output.")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: palette(mid);")
        lay.addWidget(self.note)
        lay.addStretch(1)

        self.output_browse.clicked.connect(self._browse)
        self.output_reset.clicked.connect(lambda: self.output_edit.setText(""))
        self.output_edit.editingFinished.connect(self.changed)
        self.output_edit.textChanged.connect(lambda _t: self.changed.emit() if not self.output_edit.hasFocus() else None)
        self.format_combo.currentIndexChanged.connect(self._format_changed)
        self.quality_spin.valueChanged.connect(self.changed)
        self.depth_combo.currentIndexChanged.connect(self.changed)
        self.naming_edit.editingFinished.connect(self.changed)
        self.mirror_check.toggled.connect(self.changed)
        self.size_combo.currentIndexChanged.connect(self.changed)
        self.ensemble_combo.currentIndexChanged.connect(self.changed)
        self.skip_radio.toggled.connect(self.changed)
        self.device_combo.currentIndexChanged.connect(self.engineChanged)
        self.run_selected.clicked.connect(self.colouriseSelected)
        self.run_all.clicked.connect(self.colouriseAll)
        self.preset_combo.activated.connect(self._preset_chosen)
        self.preset_save.clicked.connect(self._save_preset)
        for sig in (self.format_combo.currentIndexChanged, self.depth_combo.currentIndexChanged,
                    self.quality_spin.valueChanged, self.naming_edit.editingFinished, self.mirror_check.toggled):
            sig.connect(lambda *_a: self._sync_preset_combo())
        self.user_presets: list = []
        self._format_changed()
        self.set_presets([])

    def _help(self, form, key: str, text: str) -> None:
        """A plain-language line under a setting (also its tooltip's first words)."""
        lbl = QLabel(text)
        lbl.setWordWrap(True)
        lbl.setObjectName(f"help_{key}")
        f = lbl.font()
        f.setPointSizeF(f.pointSizeF() * 0.88)
        lbl.setFont(f)
        lbl.setStyleSheet("color: palette(mid);")
        self.help_labels[key] = lbl
        form.addRow("", lbl)

    # -- presets ------------------------------------------------------------------------------
    def set_presets(self, user: list) -> None:
        from . import presets

        self.user_presets = list(user)
        self.preset_combo.blockSignals(True)
        self.preset_combo.clear()
        self.preset_combo.addItem("Custom", None)
        for p in presets.all_presets(self.user_presets):
            self.preset_combo.addItem(p.name, p)
        self.preset_combo.blockSignals(False)
        self._sync_preset_combo()

    def current_preset(self, name: str = "current"):
        from .presets import Preset

        return Preset(name, batch_format(self.fmt)[0], self.bit_depth, self.jpeg_quality, self.naming_template,
                      self.mirror_subfolders)

    def apply_preset(self, p) -> None:
        self.format_combo.setCurrentIndex(max(0, self.format_combo.findData(p.fmt)))
        self.quality_spin.setValue(p.quality)
        self.load_preset(p)
        self._format_changed()
        self._sync_preset_combo()

    def _preset_chosen(self, i: int) -> None:
        p = self.preset_combo.itemData(i)
        if p is not None:
            self.apply_preset(p)

    def _sync_preset_combo(self) -> None:
        cur = self.current_preset()
        match = 0
        for i in range(1, self.preset_combo.count()):
            p = self.preset_combo.itemData(i)
            depth = p.bit_depth if self._has_depths() else None
            if p is not None and (p.fmt, depth, p.naming, p.mirror) == (cur.fmt, cur.bit_depth, cur.naming, cur.mirror) \
                    and (p.quality == cur.quality or not _has_quality(p.fmt)):
                match = i
                break
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentIndex(match)
        self.preset_combo.blockSignals(False)

    def _save_preset(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        name, ok = QInputDialog.getText(self, "Save preset", "Name of the preset:")
        if ok and name.strip():
            self.save_preset(name.strip())

    def save_preset(self, name: str) -> None:
        p = self.current_preset(name)
        self.user_presets = [q for q in self.user_presets if q.name != name] + [p]
        self.set_presets(self.user_presets)
        self.changed.emit()

    def start_folder(self) -> str:
        """Where the output-folder dialog opens: the chosen folder (or its nearest existing parent), else
        where the default 'colourised' folder would be made, else the home folder."""
        t = self.output_edit.text().strip()
        p = Path(t).expanduser() if t else (self.default_parent / "colourised" if self.default_parent else None)
        while p is not None and not p.is_dir():
            p = p.parent if p.parent != p else None
        return str(p) if p is not None else str(Path.home())

    def _browse(self) -> None:
        # Qt's own dialog: it can make a new folder on every desktop (the native one may not)
        d = QFileDialog.getExistingDirectory(self, "Output folder", self.start_folder(),
                                             QFileDialog.ShowDirsOnly | QFileDialog.DontUseNativeDialog)
        if d:
            self.output_edit.setText(d)
            self.changed.emit()

    def _format_changed(self, *_a) -> None:
        self.quality_spin.setEnabled(_has_quality(self.format_combo.currentData()))
        self.depth_combo.setEnabled(self._has_depths())
        self.changed.emit()

    def _has_depths(self) -> bool:
        """Can the chosen format be written at 8 and at 16 bits (PNG, TIFF, same as input)?"""
        from ..formats import FORMATS, output_choice

        c = output_choice(batch_format(self.fmt)[0])
        return c.format is None or len(FORMATS[c.format].bit_depths) > 1

    # -- values -------------------------------------------------------------------------------
    @property
    def output_dir(self) -> Path | None:
        t = self.output_edit.text().strip()
        return Path(t).expanduser() if t else None

    @property
    def fmt(self) -> str:
        return self.format_combo.currentData()

    @property
    def jpeg_quality(self) -> int:
        return self.quality_spin.value()

    @property
    def working_size(self) -> int | None:
        return self.size_combo.currentData()

    @property
    def ensemble(self) -> str:
        """The test-time ensemble chosen (a name of choices.ENSEMBLES)."""
        return self.ensemble_combo.currentData() or DEFAULT_ENSEMBLE

    @property
    def overwrite(self) -> bool:
        return self.overwrite_radio.isChecked()

    @property
    def device(self) -> str:
        return self.device_combo.currentData()

    @property
    def bit_depth(self) -> str | None:
        """'8' or '16' when chosen (and the format has both), None: the format's own choice."""
        return self.depth_combo.currentData() if self._has_depths() else None

    @property
    def naming_template(self) -> str:
        """The file-name template typed, when the naming rule takes it (archcolour.naming), else the default."""
        from .naming import check_template

        t = self.naming_edit.text().strip()
        try:
            return check_template(t)
        except ValueError:
            return DEFAULT_NAMING

    @property
    def mirror_subfolders(self) -> bool:
        return self.mirror_check.isChecked()

    def naming(self):
        from .naming import Naming

        return Naming(self.naming_template, self.mirror_subfolders)

    def set_devices(self, keys: list[str]) -> None:
        """Offer only the devices this machine has (keeps the choice when it is still there)."""
        current = self.device
        labels = dict((k, label) for label, k in DEVICE_CHOICES)
        self.device_combo.blockSignals(True)
        try:
            self.device_combo.clear()
            for k in keys:
                self.device_combo.addItem(labels.get(k, k), k)
            i = self.device_combo.findData(current)
            self.device_combo.setCurrentIndex(max(0, i))
        finally:
            self.device_combo.blockSignals(False)

    def set_device(self, key: str) -> None:
        self.device_combo.blockSignals(True)
        i = self.device_combo.findData(key)
        if i < 0:
            self.device_combo.addItem(key, key)
            i = self.device_combo.count() - 1
        self.device_combo.setCurrentIndex(i)
        self.device_combo.blockSignals(False)

    def load_preset(self, p) -> None:
        """Fill the choices the settings file does not hold (bit depth, names, mirroring) from a preset."""
        for w in (self.depth_combo, self.naming_edit, self.mirror_check):
            w.blockSignals(True)
        try:
            self.depth_combo.setCurrentIndex(max(0, self.depth_combo.findData(p.bit_depth)))
            self.naming_edit.setText(p.naming)
            self.mirror_check.setChecked(p.mirror)
        finally:
            for w in (self.depth_combo, self.naming_edit, self.mirror_check):
                w.blockSignals(False)

    def set_model_default_size(self, size: int | None) -> None:
        self.size_combo.setItemText(0, f"Model default ({size} px)" if size else "Model default")

    def load(self, s) -> None:
        """Fill from :class:`archcolour.settings.Settings` without emitting change signals."""
        widgets = (self.output_edit, self.format_combo, self.quality_spin, self.size_combo, self.ensemble_combo,
                   self.skip_radio, self.overwrite_radio, self.device_combo)
        for w in widgets:
            w.blockSignals(True)
        try:
            self.output_edit.setText(s.output_dir or "")
            i = self.format_combo.findData(s.fmt)
            self.format_combo.setCurrentIndex(max(0, i))
            self.quality_spin.setValue(s.jpeg_quality)
            i = self.size_combo.findData(s.working_size) if s.working_size is not None else 0
            if i < 0:
                self.size_combo.addItem(f"{s.working_size} px", s.working_size)
                i = self.size_combo.count() - 1
            self.size_combo.setCurrentIndex(i)
            i = self.ensemble_combo.findData(s.ensemble)
            self.ensemble_combo.setCurrentIndex(i if i >= 0 else self.ensemble_combo.findData(DEFAULT_ENSEMBLE))
            self.skip_radio.setChecked(True)  # Overwrite is never carried over from an earlier session
            i = self.device_combo.findData(s.device)
            if i < 0:
                self.device_combo.addItem(s.device, s.device)
                i = self.device_combo.count() - 1
            self.device_combo.setCurrentIndex(i)
        finally:
            for w in widgets:
                w.blockSignals(False)
        self.quality_spin.setEnabled(_has_quality(self.fmt))

    def store(self, s) -> None:
        s.output_dir = str(self.output_dir) if self.output_dir else None
        s.fmt = self.fmt
        s.jpeg_quality = self.jpeg_quality
        s.working_size = self.working_size
        s.ensemble = self.ensemble
        s.overwrite = False  # never remembered: each session starts with Skip
        s.device = self.device

    def set_running(self, running: bool) -> None:
        for w in (self.output_edit, self.output_browse, self.output_reset, self.format_combo, self.quality_spin,
                  self.skip_radio, self.overwrite_radio, self.device_combo, self.run_selected, self.run_all,
                  self.size_combo, self.ensemble_combo, self.depth_combo, self.naming_edit, self.mirror_check,
                  self.preset_combo, self.preset_save):
            w.setEnabled(not running)
        if not running:
            self.quality_spin.setEnabled(_has_quality(self.fmt))
            self.depth_combo.setEnabled(self._has_depths())


def format_eta(seconds: float) -> str:
    if seconds < 0:
        return "estimating…"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d} left" if h else f"{m}:{s:02d} left"


class BatchPanel(QFrame):
    """Progress of a batch: a bar with count and ETA, pause/resume and cancel; the summary at the end."""

    pauseToggled = Signal(bool)
    cancelRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.StyledPanel)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        self.title = QLabel("Colourising")
        f = self.title.font()
        f.setBold(True)
        self.title.setFont(f)
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.bar.setFormat("%v / %m")
        self.bar.setMinimumWidth(80)
        self.eta = QLabel("")
        self.eta.setMinimumWidth(70)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Pause after the current image / resume (Ctrl+P)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the current image (Esc)")
        self.summary = ElidedLabel("")  # a long output path must not widen the window
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip("Hide")
        self.close_button.setAutoRaise(True)
        lay.addWidget(self.title)
        lay.addWidget(self.bar, 1)
        lay.addWidget(self.eta)
        lay.addWidget(self.pause_button)
        lay.addWidget(self.cancel_button)
        lay.addWidget(self.summary, 1)
        lay.addWidget(self.close_button)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.close_button.clicked.connect(self.hide)
        self.summary.hide()
        self.close_button.hide()

    def _pause_toggled(self, on: bool) -> None:
        self.pause_button.setText("Resume" if on else "Pause")
        self.pauseToggled.emit(on)

    def start(self, total: int | None = None) -> None:
        self.title.setText("Colourising")
        self.bar.setMaximum(max(1, total or 0) if total is not None else 0)
        self.bar.setValue(0)
        self.eta.setText("planning…" if total is None else "estimating…")
        for w in (self.bar, self.eta, self.pause_button, self.cancel_button):
            w.show()
        self.pause_button.setEnabled(True)
        self.cancel_button.setEnabled(True)
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(False)
        self.pause_button.setText("Pause")
        self.pause_button.blockSignals(False)
        self.summary.hide()
        self.close_button.hide()
        self.show()

    def set_total(self, total: int) -> None:
        self.bar.setMaximum(max(1, total))
        self.bar.setFormat("%v / %m" if total else "nothing to do")

    def set_progress(self, done: int, total: int, eta: float, paused: bool = False) -> None:
        if paused:
            self.set_paused(True)
        self.bar.setMaximum(max(1, total))
        self.bar.setValue(done)
        self.eta.setText("paused" if paused else format_eta(eta) if done < total else "finishing…")

    def set_cancelling(self) -> None:
        self.title.setText("Cancelling")
        self.eta.setText("after this image…")
        self.cancel_button.setEnabled(False)
        self.pause_button.setEnabled(False)

    def set_paused(self, paused: bool) -> None:
        if self.title.text() in ("Colourising", "Paused"):
            self.title.setText("Paused" if paused else "Colourising")
        if not paused and self.eta.text() == "paused":
            self.eta.setText("resuming…")

    def finish(self, text: str, ok: bool, title: str | None = None) -> None:
        self.title.setText(title or ("Finished" if ok else "Finished with errors"))
        for w in (self.eta, self.pause_button, self.cancel_button, self.bar):
            w.hide()
        self.summary.setText(text)
        self.summary.setStyleSheet("" if ok else "color: #c62828;")
        self.summary.show()
        self.close_button.show()
