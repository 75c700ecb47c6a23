"""Entry script of the frozen ``archcolour`` command line (PyInstaller; same as the console script)."""
import multiprocessing
import sys

from archcolour.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
