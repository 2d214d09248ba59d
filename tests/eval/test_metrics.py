"""Metrics on hand-computed records (docs/eval.md, "Metrics")."""

from __future__ import annotations

import math

import numpy as np
import pytest

from a2a.eval.metrics import ambiguity_bits, compute_metrics, group_indices, summarize


def rec(K, Q, success, *, budget=None, useful=None, invalid=0, length=10, failure=False, split="train",
        ambiguity=None):
    return {"K": K, "Q": Q, "success": success, "failure": failure, "budget": K if budget is None else budget,
            "useful_questions": min(Q, K) if useful is None else useful, "invalid_actions": invalid,
            "length": length, "split": split,
            "ambiguity": ambiguity or ("none" if K == 0 else "attribute")}


def values(records, **kw):
    return {k: v.value for k, v in compute_metrics(records, n_boot=0, **kw).items()}


def test_k0_without_questions_counts_as_resolved():
    m = values([rec(0, 0, True), rec(0, 0, False)])
    assert m["SR"] == 0.5
    assert m["ARS"] == 0.5          # = S when K = Q = 0
    assert m["QR"] is None          # no K > 0 episode
    assert m["Q_K0"] == 0.0 and m["asked_K0"] == 0.0


def test_questions_on_k0_episodes_are_reported_separately_and_zero_the_ars():
    m = values([rec(0, 2, True), rec(0, 0, True), rec(1, 1, True)])
    assert m["ARS"] == pytest.approx((0 + 1 + 1) / 3)  # K=0, Q=2: S*0/max(0,2) = 0
    assert m["Q_K0"] == 1.0          # (2 + 0) / 2
    assert m["asked_K0"] == 0.5
    assert m["QR"] == 1.0            # only the K>0 episode


def test_failure_with_questions():
    m = values([rec(2, 2, False, failure=True), rec(2, 1, True)])
    assert m["SR"] == 0.5
    assert m["ARS"] == pytest.approx((0 + 1 * 2 / 2) / 2)  # Q < K still scores K/max(K,Q) = 1
    assert m["QR"] == pytest.approx((1.0 + 0.5) / 2)
    assert m["failure_rate"] == 0.5


def test_over_budget_runs():
    # K=1, Q=4 with budget K+1=2: over budget; ARS = 1*1/4.
    m = values([rec(1, 4, True, budget=2, useful=1), rec(3, 3, True, budget=3)])
    assert m["ARS"] == pytest.approx((0.25 + 1.0) / 2)
    assert m["QR"] == pytest.approx((4.0 + 1.0) / 2)
    assert m["over_budget"] == 0.5
    assert m["useful_rate"] == pytest.approx((1 + 3) / (4 + 3))  # pooled over questions
    assert m["questions"] == 3.5


def test_invalid_rate_and_length_are_pooled_over_steps():
    m = values([rec(0, 0, True, invalid=1, length=4), rec(0, 0, True, invalid=3, length=36)])
    assert m["invalid_rate"] == pytest.approx(4 / 40)
    assert m["length"] == 20
    assert m["useful_rate"] is None  # no question at all


def test_empty_records():
    m = compute_metrics([], n_boot=100)
    assert all(v.value is None and v.n == 0 for v in m.values())


def test_bootstrap_interval_is_seeded_and_covers_the_value():
    rng = np.random.default_rng(0)
    records = [rec(int(k), int(q), bool(s)) for k, q, s in zip(rng.integers(0, 4, 300), rng.integers(0, 5, 300),
                                                                  rng.random(300) < 0.6)]
    a = compute_metrics(records, n_boot=500, seed=1)
    b = compute_metrics(records, n_boot=500, seed=1)
    c = compute_metrics(records, n_boot=500, seed=2)
    assert a == b
    assert a["SR"].lo != c["SR"].lo or a["SR"].hi != c["SR"].hi
    for name in ("SR", "ARS", "QR", "useful_rate"):
        assert a[name].lo <= a[name].value <= a[name].hi, name
    # A binomial proportion: the interval's half-width is close to 1.96 * sqrt(p(1-p)/n).
    p, n = a["SR"].value, a["SR"].n
    half = (a["SR"].hi - a["SR"].lo) / 2
    assert half == pytest.approx(1.96 * math.sqrt(p * (1 - p) / n), rel=0.2)


def test_bootstrap_of_a_constant_is_a_point():
    m = compute_metrics([rec(1, 1, True)] * 20, n_boot=200)
    assert (m["SR"].lo, m["SR"].hi) == (1.0, 1.0)


def test_groups_by_label_bit_and_k():
    records = [rec(0, 0, True), rec(1, 1, True, ambiguity="attribute"),
               rec(2, 2, False, ambiguity="attribute+placement", split="val_unseen_tasks")]
    g = group_indices(records)
    assert g["by_split"] == {"train": [0, 1], "val_unseen_tasks": [2]}
    assert g["by_ambiguity"] == {"attribute": [1], "attribute+placement": [2], "none": [0]}
    assert g["by_ambiguity_bit"] == {"attribute": [1, 2], "none": [0], "placement": [2]}
    assert list(g["by_K"]) == ["0", "1", "2"]
    s = summarize(records, n_boot=50)
    assert s["by_ambiguity_bit"]["attribute"]["SR"]["value"] == 0.5
    assert s["by_ambiguity_bit"]["placement"]["SR"]["value"] == 0.0
    assert s["overall"]["SR"]["value"] == pytest.approx(2 / 3)


def test_unknown_ambiguity_type_is_an_error():
    assert ambiguity_bits("size+spatial_room") == ["size", "spatial_room"]
    with pytest.raises(ValueError, match="unknown type"):
        ambiguity_bits("attribute+colour")


def test_negative_counts_are_rejected():
    with pytest.raises(ValueError):
        compute_metrics([rec(-1, 0, True)], n_boot=0)


def test_partial_success_and_groups_by_task():
    multi = dict(rec(2, 2, False), task="clean_clutter", targets=3, delivered=2)
    done = dict(rec(1, 1, True), task="clean_clutter", targets=2, delivered=2)
    fetch = rec(1, 1, True)  # a record from before multi-object tasks: no task, targets or delivered
    m = values([multi, done, fetch])
    assert m["SR"] == pytest.approx(2 / 3)
    assert m["PSR"] == pytest.approx((2 / 3 + 1 + 1) / 3)  # mean fraction delivered; a success counts 1
    g = group_indices([multi, done, fetch])
    assert g["by_task"] == {"clean_clutter": [0, 1], "fetch": [2]}
    s = summarize([multi, done, fetch], n_boot=0)
    assert s["by_task"]["clean_clutter"]["PSR"]["value"] == pytest.approx((2 / 3 + 1) / 2)
    assert s["by_task"]["fetch"]["PSR"]["value"] == 1.0
    assert ambiguity_bits("placement+preference") == ["placement", "preference"]
