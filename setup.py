"""Build step for the wheel: copy the top-level ``extension/`` and ``manifest/`` folders into the
package as ``navllm/_assets/`` (found at run time by ``navllm.resources``). The repository keeps
one copy of each; an editable install has no ``_assets`` and reads them from the checkout.
Everything else about the package is in pyproject.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
ASSETS = ("extension", "manifest")
# Never shipped: editor and OS litter.
IGNORE = shutil.ignore_patterns(".*", "__pycache__", "*~", "*.swp")


class BuildWithAssets(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # navllm.resources finds them in the checkout
            return
        target = Path(self.build_lib) / "navllm" / "_assets"
        for name in ASSETS:
            source = ROOT / name
            if not (source.is_dir() and any(source.iterdir())):
                raise SystemExit(f"setup.py: {source} is missing; build from a checkout or an sdist that has it")
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(source, target / name, ignore=IGNORE)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        target = Path(self.build_lib) / "navllm" / "_assets"
        if target.is_dir():
            outputs += [str(p) for p in target.rglob("*") if p.is_file()]
        return outputs


setup(cmdclass={"build_py": BuildWithAssets})
