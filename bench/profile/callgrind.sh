#!/usr/bin/env bash
# Instructions per env step of the C++ core, counted by callgrind: repeatable to a fraction of a
# percent even on a loaded machine, so they give before/after figures for core optimisations that
# wall-clock timings here cannot. Replays the env bench's actions (write_trace.py) on a Release
# build with debug info; prints instructions per step for each case and the top functions.
#
#   bench/profile/callgrind.sh            (from the repository root, with the a2a venv active)
#   TOP=30 bench/profile/callgrind.sh     (more functions per case)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build/profile}
N=64
STEPS=100
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-g >/dev/null
cmake --build "$BUILD" --target a2a_core -j2 >/dev/null
g++ -O3 -g -std=c++17 -I"$ROOT/csrc/core" "$ROOT/bench/profile/replay.cpp" "$BUILD/csrc/core/liba2a_core.a" -lpthread -o "$BUILD/replay"
python "$ROOT/bench/profile/write_trace.py" "$BUILD/trace/policy" --num-envs $N --steps $STEPS
python "$ROOT/bench/profile/write_trace.py" "$BUILD/trace/rerender" --num-envs $N --steps $STEPS --rerender
for case in "policy 0" "policy 64" "policy 128" "rerender 128"; do
  set -- $case
  out="$BUILD/callgrind.$1.$2"
  valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*replay_steps*' --callgrind-out-file="$out" \
    "$BUILD/replay" "$BUILD/trace/$1" $N "$2" 1 >/dev/null 2>&1
  total=$(callgrind_annotate "$out" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  # glibc copies and fills large blocks with `rep movsb`/`rep stosb`, which callgrind counts byte by byte:
  # the frame copies then dominate the count far beyond their cost in time, so they are shown apart.
  mem=$(callgrind_annotate --inclusive=no "$out" | awk '/__mem(cpy|move|set)/ && !/=>/ {gsub(",", "", $1); s += $1} END {print s + 0}')
  echo "== $1 actions, size $2: $((total / (N * STEPS))) instructions per env step," \
       "$(((total - mem) / (N * STEPS))) without memcpy/memset"
  callgrind_annotate --inclusive=no "$out" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | grep -v 'PROGRAM TOTALS' | head -"${TOP:-12}" || true
done
