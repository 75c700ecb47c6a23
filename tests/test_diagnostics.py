"""Library warnings become notes of the file being worked on (per thread), never anonymous lines."""
from __future__ import annotations

import logging
import threading
import warnings

from archcolour import diagnostics


def test_warnings_inside_collecting_become_notes_of_that_thread_only():
    diagnostics.install()
    seen: dict[str, list[str]] = {}

    def work(name: str) -> None:
        with diagnostics.collecting(name) as notes:
            warnings.warn(f"Truncated File Read in {name}", UserWarning, stacklevel=1)
            logging.getLogger("tifffile").warning("<TiffTag 305> invalid value offset (%s)", name)
        seen[name] = notes

    handler = logging.Handler()
    handler.addFilter(diagnostics.LibraryFilter())
    emitted: list[str] = []
    handler.emit = lambda record: emitted.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in ("a.jpg", "b.tif")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        logging.getLogger().removeHandler(handler)
    for name in ("a.jpg", "b.tif"):
        assert seen[name] == [f"Truncated File Read in {name}", f"<TiffTag 305> invalid value offset ({name})"]
    assert emitted == []  # none of them went out as a line of its own


def test_outside_collecting_warnings_are_left_alone(recwarn):
    diagnostics.install()
    assert diagnostics.take("x") is False
    handler_filter = diagnostics.LibraryFilter()
    rec = logging.LogRecord("tifffile", logging.WARNING, __file__, 1, "odd tag", None, None)
    assert handler_filter.filter(rec) is True
    own = logging.LogRecord("archcolour.batch", logging.WARNING, __file__, 1, "ours", None, None)
    with diagnostics.collecting("f.png") as notes:
        assert handler_filter.filter(own) is True  # archcolour's own records are not swallowed
    assert notes == []


def test_notes_are_bounded_and_deduplicated():
    with diagnostics.collecting("f.png") as notes:
        for i in range(100):
            diagnostics.take(f"warning {i % 50}\nsplit")
    assert len(notes) == diagnostics.MAX_NOTES and notes[0] == "warning 0 split"
