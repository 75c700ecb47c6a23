"""archcolour: colourise black-and-white photographs of historic and archaeological sites."""
from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("archcolour")
except _metadata.PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.1.0"

__all__ = ["__version__"]
