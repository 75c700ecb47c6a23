"""archcolour: colourise black-and-white photographs of historic and archaeological sites."""
import os as _os
from importlib import metadata as _metadata

# torch's OpenMP threads spin (busy-wait) between parallel regions by default. When the cores are busy
# (a batch beside the GUI's preview, a second program, a shared workstation), the spinning threads
# starve the ones with work: a 640 px preview measured 2.1 s with spinning and 0.17-0.39 s without
# on a loaded 2-core machine (bench/bench_threads.py prints both). Set before torch is first imported;
# an explicit OMP_WAIT_POLICY in the environment wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:
    __version__ = _metadata.version("archcolour")
except _metadata.PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.3.0"

__all__ = ["__version__"]
