"""Frames into a trainer's tensors: a pinned/CPU torch tensor, and the CUDA upload path."""

import numpy as np
import pytest
import torch

from a2a import _core
from a2a.env.device import attach_cuda_frames, attach_frame_buffer


def test_frames_land_in_a_torch_tensor(train_episodes):
    env = _core.BatchedEnv(train_episodes, num_envs=3, width=16, height=16, history=2)
    ref = _core.BatchedEnv(train_episodes, num_envs=3, width=16, height=16, history=2)
    buf = torch.zeros((3, 2, 16, 16, 3), dtype=torch.uint8)
    attach_frame_buffer(env, buf)
    env.reset()
    r = ref.reset()
    assert np.array_equal(buf.numpy(), r.frames)
    acts = [env.valid_actions(i)[5 + i] for i in range(3)]
    env.step(acts)
    assert np.array_equal(buf.numpy(), ref.step(acts).frames)
    with pytest.raises(TypeError):
        attach_frame_buffer(env, np.zeros((3, 2, 16, 16, 3), np.uint8))


def test_cuda_upload_without_a_gpu_fails_clearly(train_episodes):
    reason = _core.BatchedEnv.cuda_unavailable_reason()
    if not reason:
        pytest.skip("a CUDA device is available: the GPU test below covers the upload")
    env = _core.BatchedEnv(train_episodes, num_envs=2, width=16, height=16)
    with pytest.raises(RuntimeError, match="CUDA"):
        env.set_cuda_target(1 << 20, 2 * 16 * 16 * 3, 0)
    env.reset()  # still usable
    with pytest.raises(TypeError):
        attach_cuda_frames(env, torch.zeros((2, 1, 16, 16, 3), dtype=torch.uint8))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (the upload path is verified on a lent GPU)")
def test_cuda_upload_matches_host_frames(train_episodes):
    n, size, hist = 8, 32, 2
    env = _core.BatchedEnv(train_episodes, num_envs=n, width=size, height=size, history=hist, num_threads=2)
    gpu = torch.zeros((n, hist, size, size, 3), dtype=torch.uint8, device="cuda")
    attach_cuda_frames(env, gpu)
    b = env.reset()
    torch.cuda.current_stream().synchronize()
    assert np.array_equal(gpu.cpu().numpy(), b.frames)
    for t in range(20):
        acts = [env.valid_actions(i)[(7 * i + t) % 40] for i in range(n)]
        b = env.step(acts)
        torch.cuda.current_stream().synchronize()
        assert np.array_equal(gpu.cpu().numpy(), b.frames)
