"""Lean PyInstaller hook for CPU inference with torch (replaces pyinstaller-hooks-contrib's hook-torch).

The contributed hook collects every torch submodule (compiler, distributed training, ONNX export,
the test suite and, through them, sympy/networkx/jinja2), every data file and the C++ test libraries,
and keeps the .py sources. archcolour runs eager-mode inference only (no
torch.compile, no TorchScript, no torch.export), so here:

* the module graph follows torch's real imports (no ``collect_submodules``); the spec excludes the
  sub-packages the app never loads;
* no data files (the inductor templates and the export schema serve torch.compile / torch.export);
* the shared libraries of ``torch/lib`` except the test/example ones (``libtorch_global_deps.so`` is
  loaded by ``torch/__init__.py`` with ctypes, so it must be collected here), and
  ``torch/bin/torch_shm_manager``, whose presence ``import torch`` checks;
* byte code plus sources, as in the contributed hook (``import torch`` needs some of them).
"""
from pathlib import Path

from PyInstaller import compat
from PyInstaller.utils.hooks import PY_DYLIB_PATTERNS, collect_dynamic_libs, get_package_paths

_TEST_LIBS = ("libjitbackend_test", "libtorchbind_test", "libaoti_custom_ops", "libbackend_with_compiler")

binaries = [
    (src, dest)
    for src, dest in collect_dynamic_libs("torch", search_patterns=PY_DYLIB_PATTERNS + ["*.so.*"])
    if not Path(src).name.startswith(_TEST_LIBS)
]
# torch/__init__.py refuses to import unless torch/bin/torch_shm_manager exists (the helper of
# torch.multiprocessing's shared memory); it is 44 kB
_shm = Path(get_package_paths("torch")[1]) / "bin" / "torch_shm_manager"
if _shm.is_file():
    binaries.append((str(_shm), "torch/bin"))
datas = []
hiddenimports = []
# torch reads the source of some of its own modules while it is imported (inspect.getsource; without
# the .py files `import torch` fails with "could not get source code"), so as in the contributed
# hook the sources are kept beside the byte code (+18 MiB)
module_collection_mode = "pyz+py"
warn_on_missing_hiddenimports = False

if compat.is_linux:
    # A CUDA build of torch from PyPI takes its CUDA libraries from nvidia-* packages; as in the
    # contributed hook, infer those from torch's requirements (none for the CPU wheel). Their own
    # hooks (pyinstaller-hooks-contrib) collect the libraries.
    try:
        import packaging.requirements
        from _pyinstaller_hooks_contrib.compat import importlib_metadata
        from _pyinstaller_hooks_contrib.utils import nvidia_cuda

        _reqs = [packaging.requirements.Requirement(r) for r in importlib_metadata.distribution("torch").requires or []]
        hiddenimports += nvidia_cuda.infer_hiddenimports_from_requirements(
            [r.name for r in _reqs if r.marker is None or r.marker.evaluate()])
    except Exception:  # noqa: BLE001 - a CPU build needs none of this
        pass

    # as in the contributed hook: no symlinks from torch/lib to the top level (they confuse torch's
    # own library look-up)
    bindepend_symlink_suppression = ["**/torch/lib/*.so*"]
