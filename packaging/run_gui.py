"""Entry script of the frozen ``archcolour-gui`` desktop application (PyInstaller; same as the gui script)."""
import multiprocessing
import sys

from archcolour.gui.app import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
