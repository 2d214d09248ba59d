"""Behavior cloning's per-step weights (`verb_weights`): off by default, and with balance 1 every verb gets the
same share of the loss."""

import pytest
import torch

from a2a.rl.config import TrainConfig
from a2a.rl.rollout import Rollout
from a2a.rl.sft import verb_weights


def _rollout() -> Rollout:
    ro = Rollout.empty(4, 2)
    labels = [["navigate(sofa)", "navigate(bed)"], ["navigate(desk)", "pick(cup)"],
              ["navigate(sofa)", "place(cup, bed)"], ["open(fridge)", None]]
    for t, row in enumerate(labels):
        for e, a in enumerate(row):
            ro.actions[t][e] = a
            ro.valid[t, e] = a is not None
            ro.imitated[t, e] = a is not None
    ro.imitated[3, 0] = False  # a perturbed step: kept in the history, not trained on
    return ro


def test_balance_zero_weighs_every_step_alike():
    assert torch.equal(verb_weights(_rollout(), 0.0), torch.ones(4, 2))


@pytest.mark.parametrize("balance", [0.5, 1.0])
def test_weights_have_mean_one_and_favour_rare_verbs(balance):
    ro = _rollout()
    w = verb_weights(ro, balance)
    cells = ro.imitated & ro.valid
    assert w[cells].mean().item() == pytest.approx(1.0)
    assert w[1, 1] == pytest.approx(w[2, 1].item())  # one pick, one place
    assert w[1, 1] / w[0, 0] == pytest.approx(4 ** balance)  # four navigations (the open is not trained on)
    assert w[3, 0] == 1.0 and w[3, 1] == 1.0  # cells not trained on are left as they are (bc_update masks them)


def test_balance_one_gives_each_verb_the_same_share():
    ro = _rollout()
    w = verb_weights(ro, 1.0)
    cells = [(t, e) for t in range(4) for e in range(2) if ro.imitated[t, e]]
    shares = {v: sum(w[t, e].item() for t, e in cells if str(ro.actions[t][e]).startswith(v))
              for v in ("navigate", "pick", "place")}
    assert shares["navigate"] == pytest.approx(shares["pick"]) == pytest.approx(shares["place"])


@pytest.mark.parametrize("balance", [-0.1, 1.5])
def test_balance_outside_zero_one_is_refused(balance, tmp_path):
    with pytest.raises(ValueError, match="sft_balance"):
        TrainConfig(run_dir=str(tmp_path), sft_balance=balance)
