#!/usr/bin/env bash
# Every GPU suite in one call (about 8 minutes on one H100/H200-class GPU), for a lent machine:
#   1. tests that need CUDA: the CUDA frame-upload path, Triton kernels on the GPU against their torch
#      references, the policy with Triton kernels (tests/**, marker `gpu` and the kernel suites);
#   2. bench/test_kernels.py: kernels vs eager references, torch.compile and SDPA;
#   3. bench/test_train_throughput.py -k gpu: the LLaVA-OneVision-0.5B architecture in 4 bits, act + PPO
#      update, env steps/s of a short PPO run with 64 envs.
# Results are appended, with the device name and the commit, to bench/results/*.jsonl (bench/conftest.py)
# and the console log is kept in bench/results/gpu-<date>.log. On a machine without CUDA it says so and
# exits 0: nothing here can run on a CPU.
#
#   bash bench/gpu.sh            # installs the package first if `import a2a._core` fails
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  echo "bench/gpu.sh: skipped: no CUDA device (torch.cuda.is_available() is False or torch is missing)"
  exit 0
fi
if ! (cd /tmp && "$PY" -c "import a2a._core") 2>/dev/null; then
  echo "bench/gpu.sh: installing a2a (keeping this machine's CUDA build of torch)"
  "$PY" -m pip install -q ".[dev]" || { echo "bench/gpu.sh: install failed"; exit 1; }
fi
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
log="bench/results/gpu-$(date +%Y%m%d-%H%M%S).log"
mkdir -p bench/results
device=$("$PY" -c "import torch; print(torch.cuda.get_device_name(0))")
commit=$(cd /tmp && "$PY" -c "from a2a.eval.run_dir import git_commit; print(git_commit() or 'unknown')")  # the installed a2a's
echo "bench/gpu.sh on $device, commit $commit" | tee "$log"

status=0
run() {  # name, timeout in seconds, pytest arguments...
  local name=$1 limit=$2
  shift 2
  echo "== $name" | tee -a "$log"
  timeout "$limit" "$PY" -m pytest -q -s "$@" 2>&1 | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || { echo "== $name: exit $rc" | tee -a "$log"; status=1; }
}
run "CUDA tests (upload path, kernels on the GPU, policy with Triton)" 150 \
  tests/env/test_device_buffers.py tests/kernels tests/policy/test_triton_backend.py
run "kernel benchmarks (Triton vs eager, torch.compile, SDPA)" 180 bench/test_kernels.py
run "LLaVA-OneVision-0.5B architecture, 4-bit: PPO loop with 64 envs" 150 bench/test_train_throughput.py -k gpu
echo "bench/gpu.sh: done (exit $status); log: $log" | tee -a "$log"
exit $status
