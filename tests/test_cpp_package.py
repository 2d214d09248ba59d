"""The core as a C++ package: `cmake --install` to a prefix, and the pip-installed wheel, each let an
outside project find_package(a2a) and link a2a::core; so does add_subdirectory from an outside project
(a2a then installs nothing of its own). examples/cpp is built out of tree against each and run."""

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "cpp"
JOBS = str(os.cpu_count() or 2)

pytestmark = pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is not installed")


def _run(cmd, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{r.stdout[-3000:]}{r.stderr[-3000:]}"
    return r.stdout


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    """The README's build-and-install commands, run once; the core is built shared here (the wheel
    test covers the default, static library)."""
    tmp = tmp_path_factory.mktemp("cpp-package")
    _run(["cmake", "-S", ROOT, "-B", tmp / "build", "-DBUILD_SHARED_LIBS=ON"])
    _run(["cmake", "--build", tmp / "build", "-j", JOBS])
    _run(["cmake", "--install", tmp / "build", "--prefix", tmp / "prefix"])
    return tmp / "prefix"


def _version_in(config_dir: Path) -> str:
    text = (config_dir / "a2aConfigVersion.cmake").read_text()
    return re.search(r'set\(PACKAGE_VERSION "([^"]+)"\)', text).group(1)


def _check_headers(include_dir: Path) -> None:
    """Some, not all, of the core's headers are installed, and each includes only installed ones."""
    installed = {p.name for p in include_dir.glob("*.h")}
    assert installed < {p.name for p in (ROOT / "csrc" / "core").glob("*.h")}, installed
    assert {"world.h", "episode.h", "env.h", "batched_env.h", "ask_batched.h", "render.h"} <= installed
    for name in installed:
        for included in re.findall(r'#include "([^"]+)"', (include_dir / name).read_text()):
            assert included in installed, (f"installed {name} includes {included}, which is not installed: add it to "
                                           "A2A_CORE_PUBLIC_HEADERS in csrc/core/CMakeLists.txt")


def _build_and_run_example(build: Path, *cmake_args, source: Path = EXAMPLE) -> str:
    _run(["cmake", "-S", source, "-B", build, *cmake_args])
    _run(["cmake", "--build", build, "-j", JOBS])
    out = _run([build / "a2a_example_cpp"], timeout=120)
    assert re.search(r"^env 0: .+ \(K=\d+\)$", out, re.M), out
    assert re.search(r"^env 0 asked 'ask\(where is it\?\)' -> 'It is .+'$", out, re.M), out
    assert out.rstrip().endswith("successes: 16 / 16"), out
    return out


def test_example_against_an_install_prefix(prefix, tmp_path):
    config_dir = prefix / "lib" / "cmake" / "a2a"
    assert (config_dir / "a2aConfig.cmake").is_file()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert _version_in(config_dir) == pyproject["project"]["version"]
    _check_headers(prefix / "include" / "a2a")
    assert list((prefix / "lib").glob("liba2a_core.so*"))
    _build_and_run_example(tmp_path / "example", f"-DCMAKE_PREFIX_PATH={prefix}")


def test_find_package_refuses_a_newer_version_than_installed(prefix, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.18)\nproject(wants_newer LANGUAGES NONE)\n"
        "find_package(a2a 99.0 CONFIG REQUIRED)\n")
    r = subprocess.run(["cmake", "-S", tmp_path / "src", "-B", tmp_path / "build", f"-DCMAKE_PREFIX_PATH={prefix}"],
                       capture_output=True, text=True)
    message = " ".join(r.stderr.split())
    assert r.returncode != 0
    assert 'compatible with requested version "99.0"' in message and "a2aConfig.cmake, version: " in message, message


def test_example_against_the_installed_wheel(tmp_path):
    # From the repository root with PYTHONSAFEPATH (conftest), `python -m a2a` is the installed package.
    r = subprocess.run([sys.executable, "-m", "a2a", "--cmake-dir"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, f"the installed a2a carries no CMake package (reinstall it with pip):\n{r.stderr}"
    import a2a

    assert r.stdout.strip() == a2a.cmake_dir()
    config_dir = Path(a2a.cmake_dir())
    assert _version_in(config_dir) == importlib.metadata.version("a2a")
    package = config_dir.parents[2]
    _check_headers(package / "include" / "a2a")
    assert [p.name for p in (package / "lib").iterdir()] == ["liba2a_core.a"]
    _build_and_run_example(tmp_path / "example", f"-Da2a_DIR={config_dir}")


def test_example_in_a_project_that_adds_a2a_as_a_subdirectory(tmp_path):
    """A parent project (not a2a) pulls the source tree in: a2a::core links, and the parent's install
    carries only the parent's files (A2A_INSTALL is off below a top-level project)."""
    (tmp_path / "parent").mkdir()
    (tmp_path / "parent" / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.18)\nproject(parent LANGUAGES CXX)\n"
        f'add_subdirectory("{ROOT.as_posix()}" a2a)\n'
        f'add_executable(a2a_example_cpp "{(EXAMPLE / "embed_core.cpp").as_posix()}")\n'
        "target_link_libraries(a2a_example_cpp PRIVATE a2a::core)\ninstall(TARGETS a2a_example_cpp)\n")
    build = tmp_path / "build"
    _build_and_run_example(build, "-DCMAKE_BUILD_TYPE=Release", source=tmp_path / "parent")
    _run(["cmake", "--install", build, "--prefix", tmp_path / "prefix"])
    installed = sorted(p.relative_to(tmp_path / "prefix").as_posix() for p in (tmp_path / "prefix").rglob("*")
                       if p.is_file())
    assert installed == ["bin/a2a_example_cpp"], installed


def test_python_m_a2a_without_a_flag_says_what_to_pass():
    r = subprocess.run([sys.executable, "-m", "a2a"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "pass --cmake-dir" in r.stderr, r.stderr
