"""Builds and installs the perpcore Python package (python/perpcore).

The extension perpcore._perpcore is built by CMake (the project's own
CMakeLists.txt with PERPCORE_BUILD_PYTHON=ON and tests, benchmarks and
examples off, target _perpcore); setuptools only copies the result next to
the pure-Python files. Nothing is downloaded: every build dependency is a
Debian package (see pyproject.toml).

    pip install --no-build-isolation .          # or: python3 setup.py build

Environment:
  PERPCORE_CMAKE_ARGS       extra CMake arguments, split on spaces;
  CMAKE_BUILD_PARALLEL_LEVEL  build jobs (CMake's own variable);
  CMAKE_GENERATOR           as CMake's (default: Ninja if found, else Make).
setuptools' scratch space is build-pip/ (the CMake tree in build-pip/cmake),
so an existing CMake build/ directory is never touched.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent


def version() -> str:
    text = (ROOT / "CMakeLists.txt").read_text()
    m = re.search(r"project\(perpcore\s+VERSION\s+([0-9.]+)", text)
    if not m:
        raise RuntimeError("cannot find the project version in CMakeLists.txt")
    return m.group(1)


class CMakeBuild(build_ext):
    """Configures and builds the CMake target _perpcore, then copies it."""

    def build_extension(self, ext: Extension) -> None:
        build_dir = pathlib.Path(self.build_temp).resolve() / "cmake"
        build_dir.mkdir(parents=True, exist_ok=True)
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir),
            "-DCMAKE_BUILD_TYPE=Release",
            "-DPERPCORE_BUILD_PYTHON=ON",
            "-DPERPCORE_BUILD_TESTS=OFF",
            "-DPERPCORE_BUILD_BENCHMARKS=OFF",
            "-DPERPCORE_BUILD_EXAMPLES=OFF",
            f"-DPython3_EXECUTABLE={sys.executable}",
        ]
        if "CMAKE_GENERATOR" not in os.environ and shutil.which("ninja"):
            configure += ["-G", "Ninja"]
        configure += os.environ.get("PERPCORE_CMAKE_ARGS", "").split()
        subprocess.run(configure, check=True)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "_perpcore"], check=True)
        built = sorted((build_dir / "python" / "perpcore").glob("_perpcore*.so"))
        if not built:
            raise RuntimeError(f"CMake built no _perpcore module in {build_dir}")
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)


setup(
    name="perpcore",
    version=version(),
    description="The matching-and-risk core of a perpetual-futures exchange",
    license="Apache-2.0",
    python_requires=">=3.9",
    install_requires=["numpy"],
    packages=["perpcore"],
    package_dir={"": "python"},
    package_data={"perpcore": ["py.typed", "_perpcore.pyi", "_perpcore/analytics.pyi"]},
    ext_modules=[Extension("perpcore._perpcore", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": "build-pip"}, "egg_info": {"egg_base": "build-pip"}},
    zip_safe=False,
)
