"""The archcolour desktop application (PySide6). The only part of archcolour that imports Qt.

It adds no colourising logic: images are read with :mod:`archcolour.imageio`, colourised with
:class:`archcolour.engine.Colouriser` and written by :mod:`archcolour.batch`. torch (and so the engine,
imageio and batch) is imported on a background thread after the window is shown, so the window
appears fast.
"""
