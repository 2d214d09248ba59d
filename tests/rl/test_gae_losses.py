"""GAE with episode boundaries and autoreset rows, and the PPO loss terms, against hand computations."""

import pytest
import torch

from a2a.rl.gae import compute_gae
from a2a.rl.losses import ppo_loss


def reference_gae(r, v, term, trunc, valid, last, gamma, lam):
    """Episode by episode, the textbook way, for comparison."""
    T, N = r.shape
    adv = torch.zeros(T, N, dtype=torch.float64)
    for n in range(N):
        for t in range(T):
            if not valid[t, n]:
                continue
            total, discount = 0.0, 1.0
            k = t
            while True:
                nxt = v[k + 1, n] if k + 1 < T else last[n]
                boot = 0.0 if term[k, n] else nxt
                delta = r[k, n] + gamma * boot - v[k, n]
                total += discount * delta
                if term[k, n] or trunc[k, n] or k + 1 >= T:
                    break
                discount *= gamma * lam
                k += 1
            adv[t, n] = total
    return adv


def test_gae_matches_reference_with_boundaries_and_reset_rows():
    g = torch.Generator().manual_seed(0)
    T, N = 12, 3
    r = torch.randn(T, N, generator=g, dtype=torch.float64)
    v = torch.randn(T, N, generator=g, dtype=torch.float64)
    last = torch.randn(N, generator=g, dtype=torch.float64)
    term = torch.zeros(T, N, dtype=torch.bool)
    trunc = torch.zeros(T, N, dtype=torch.bool)
    valid = torch.ones(T, N, dtype=torch.bool)
    term[3, 0] = True; valid[4, 0] = False; r[4, 0] = 0          # success at 3, reset row at 4
    trunc[6, 1] = True; valid[7, 1] = False; r[7, 1] = 0         # time limit at 6
    term[11, 2] = True                                           # ends at the last row
    adv, ret = compute_gae(r, v, term, trunc, valid, last, 0.9, 0.8)
    ref = reference_gae(r, v, term, trunc, valid, last, 0.9, 0.8)
    torch.testing.assert_close(adv, ref)
    assert adv[4, 0] == 0 and ret[7, 1] == 0
    # The truncated step bootstraps from the final observation's value (the reset row's value).
    assert torch.isclose(adv[6, 1], r[6, 1] + 0.9 * v[7, 1] - v[6, 1])
    # A terminal step does not bootstrap.
    assert torch.isclose(adv[3, 0], r[3, 0] - v[3, 0])


def test_gae_rejects_bad_shapes():
    z = torch.zeros(4, 2)
    with pytest.raises(ValueError, match="valid"):
        compute_gae(z, z, z.bool(), z.bool(), torch.ones(4, 3, dtype=torch.bool), torch.zeros(2), 0.99, 0.95)


def test_ppo_loss_terms_by_hand():
    new = torch.tensor([0.0, -1.0], requires_grad=True)
    old = torch.tensor([-0.5, -0.5])
    adv = torch.tensor([1.0, -1.0])
    nv = torch.tensor([1.0, 2.0], requires_grad=True)
    ov = torch.tensor([0.0, 0.0])
    ret = torch.tensor([1.0, 0.0])
    ent = torch.tensor([0.3, 0.5])
    t = ppo_loss(new, old, adv, nv, ov, ret, ent, clip=0.2, value_clip=None, vf_coef=0.5, ent_coef=0.01,
                 normalize_advantages=False)
    r = torch.exp(torch.tensor([0.5, -0.5]))  # ratios 1.6487, 0.6065
    pg = torch.max(-adv * r, -adv * r.clamp(0.8, 1.2)).mean()
    assert torch.isclose(t.policy, pg)
    assert torch.isclose(t.value, torch.tensor(0.5 * (0 + 4) / 2))
    assert torch.isclose(t.entropy, torch.tensor(0.4))
    assert torch.isclose(t.total, pg + 0.5 * t.value - 0.01 * 0.4)
    assert t.clip_fraction == 1.0
    t.total.backward()
    assert new.grad is not None and nv.grad is not None
    # Clipping stops the gradient of the first sample (ratio above 1 + clip with positive advantage).
    assert new.grad[0] == 0


def test_kl_to_reference_is_zero_at_the_reference_and_positive_elsewhere():
    lp = torch.tensor([-1.0, -2.0])
    z = torch.zeros(2)
    same = ppo_loss(lp, lp, z, z, z, z, z, clip=0.2, value_clip=0.2, vf_coef=0, ent_coef=0, ref_logp=lp, kl_coef=1.0)
    assert same.kl_ref == 0
    diff = ppo_loss(lp, lp, z, z, z, z, z, clip=0.2, value_clip=0.2, vf_coef=0, ent_coef=0, ref_logp=lp - 0.5, kl_coef=1.0)
    assert diff.kl_ref > 0 and torch.isclose(diff.total, diff.kl_ref)
