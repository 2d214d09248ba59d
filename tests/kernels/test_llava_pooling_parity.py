"""Parity with transformers' own LLaVA-OneVision video pooling (``LlavaOnevisionModel.apply_pooling``)."""

from __future__ import annotations

import types

import pytest
import torch

from a2a.kernels import frame_pool, llava_onevision_pool_size

modeling = pytest.importorskip("transformers.models.llava_onevision.modeling_llava_onevision")


def hf_apply_pooling(features: torch.Tensor, image_size: int, patch_size: int) -> torch.Tensor:
    """Call the unbound method with a minimal ``self``: it reads only
    ``self.config.vision_config.image_size`` and ``.patch_size`` (grid = image_size // patch_size)."""
    vision = types.SimpleNamespace(image_size=image_size, patch_size=patch_size)
    fake_self = types.SimpleNamespace(config=types.SimpleNamespace(vision_config=vision))
    return modeling.LlavaOnevisionModel.apply_pooling(fake_self, features)


CASES = [(2, 384, 14, 1152), (3, 378, 14, 96), (1, 65, 5, 7)]  # grids 27 (SigLIP-so400m/384), 27, 13


def _features(frames: int, grid: int, channels: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(grid * 1000 + channels)
    return torch.randn(frames, grid * grid, channels, generator=g)


@pytest.mark.parametrize("frames,image_size,patch_size,channels", CASES)
def test_torch_reference_is_transformers_pooling(frames, image_size, patch_size, channels):
    grid = image_size // patch_size
    features = _features(frames, grid, channels)
    expected = hf_apply_pooling(features, image_size, patch_size)  # [frames, ceil(grid/2)^2, C]
    x = features.view(frames, grid, grid, channels)
    got = frame_pool(x, llava_onevision_pool_size(grid), "bilinear", backend="torch")
    assert torch.equal(got.reshape(frames, -1, channels), expected)


@pytest.mark.parametrize("frames,image_size,patch_size,channels", CASES)
def test_triton_kernel_matches_transformers_pooling(device, frames, image_size, patch_size, channels):
    grid = image_size // patch_size
    features = _features(frames, grid, channels)
    expected = hf_apply_pooling(features, image_size, patch_size)
    x = features.to(device).view(frames, grid, grid, channels)
    got = frame_pool(x, llava_onevision_pool_size(grid), "bilinear", backend="triton")
    # same weights bit for bit (see test_frame_pool); only the float32 summation order differs
    torch.testing.assert_close(got.reshape(frames, -1, channels).cpu(), expected, atol=2e-6, rtol=1e-5)
