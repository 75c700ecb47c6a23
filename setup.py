"""Build hook: copy the bundled weights from the top-level ``models/`` folder into the wheel.

The repository keeps weights in ``models/`` (next to their model card); an installed wheel finds them
in ``archcolour/_bundled_models/``. ``archcolour.weights`` looks in both places (and in a PyInstaller
bundle), so a source checkout, a wheel and a frozen app resolve weights the same way.
"""
from pathlib import Path
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
BUNDLED = ("*.safetensors", "manifest.json", "MODEL_CARD.md")


class BuildPyWithModels(build_py):
    def run(self):
        super().run()
        src = HERE / "models"
        if not src.is_dir():
            return
        dest = Path(self.build_lib) / "archcolour" / "_bundled_models"
        dest.mkdir(parents=True, exist_ok=True)
        for pattern in BUNDLED:
            for f in src.glob(pattern):
                shutil.copy2(f, dest / f.name)


setup(cmdclass={"build_py": BuildPyWithModels})
