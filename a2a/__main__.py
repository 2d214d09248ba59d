"""`python -m a2a --cmake-dir`: where CMake finds the C++ core this wheel carries (as pybind11's
--cmakedir). The command line tool itself is `a2a`."""

import argparse
import sys

from . import cmake_dir


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m a2a", description="Paths for C++ projects that link the "
                                     "a2a core. For the command line tool, run `a2a`.")
    parser.add_argument("--cmake-dir", action="store_true", help="print the directory of a2aConfig.cmake")
    if not parser.parse_args().cmake_dir:
        parser.error("nothing asked: pass --cmake-dir")
    try:
        print(cmake_dir())
    except FileNotFoundError as e:
        sys.exit(f"python -m a2a: {e}")


if __name__ == "__main__":
    main()
