"""Builds the C++ core's unit tests and example under AddressSanitizer + UndefinedBehaviorSanitizer
and runs them with ctest: the core must stay clean under both."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is not installed")
def test_core_under_asan_and_ubsan(tmp_path_factory):
    build = Path(os.environ.get("A2A_ASAN_BUILD_DIR", tmp_path_factory.mktemp("asan")))
    env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1", "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}
    subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), "-DA2A_BUILD_TESTS=ON", "-DA2A_SANITIZE=ON",
                    "-DCMAKE_BUILD_TYPE=Debug"], check=True, capture_output=True, env=env)
    subprocess.run(["cmake", "--build", str(build), "-j", str(os.cpu_count() or 2)], check=True, capture_output=True, env=env)
    r = subprocess.run(["ctest", "--test-dir", str(build), "--output-on-failure"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    assert "100% tests passed" in r.stdout
