"""Actions for the env benchmarks, drawn each step from the scene each env is in NOW (after autoreset
too), as a policy would choose them, vectorised in numpy so that drawing them costs little next to
the step itself (the benches time only the step).

The mix (POLICY_MIX, seeded): each env draws a skill, then an argument from its current scene —
- navigate (40%): to any receptacle of the scene;
- ask (25%): any question of the scene's grammar (valid_actions' ask(...) entries);
- pick (15%): one of the objects that stood on the robot's receptacle at the episode's start
  (full description), when it stands at one with objects and holds nothing;
- open (10%): the receptacle the robot stands at, when that one opens;
- place (10%): on the robot's receptacle, when it holds an object.
A skill that does not apply where the robot stands becomes a navigate (a policy does not pick in an
empty room). Steps can still be invalid as a policy's are (a closed receptacle, an object that moved,
a lookalike, reopening): the benches report that share beside steps/s.

`rerender=True` instead navigates every step to a receptacle other than the current one, so every
step (or autoreset) re-renders the view; the benches check that the frames really change.

The robot's receptacle and whether it holds something are tracked from the actions sent and the
batch's `first`/`invalid` flags (no privileged state).
"""

from __future__ import annotations

import numpy as np

from a2a import _core

SKILLS = ("navigate", "ask", "pick", "open", "place")
POLICY_MIX = (0.40, 0.25, 0.15, 0.10, 0.10)
NAV, ASK, PICK, OPEN, PLACE = range(len(SKILLS))


def _table(rows: list[list[str]], dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """Ragged rows of strings -> (padded array [len(rows), longest row], lengths)."""
    out = np.zeros((len(rows), max(1, max(len(r) for r in rows))), dtype=dtype)
    for i, r in enumerate(rows):
        out[i, :len(r)] = [a.encode() for a in r]
    return out, np.array([len(r) for r in rows], dtype=np.int64)


class SceneTables:
    """Per episode of a set: its receptacles' navigate/open/place actions, its questions, and the
    objects each receptacle holds at the start. Every table has one bytes dtype, as wide as the
    longest action, so that drawn actions of any kind share one array."""

    def __init__(self, episodes: _core.EpisodeSet):
        probe = _core.BatchedEnv(episodes, num_envs=1, width=0, height=0)
        nav, opn, place, ask, picks = [], [], [], [], []
        for e in range(len(episodes)):
            probe.reset(episodes=[e])
            vocab = probe.valid_actions(0)
            world = episodes[e]["world"]
            recs = world["receptacles"]
            names = [r["name"] for r in recs]
            nav.append([f"navigate({n})" for n in names])
            place.append([f"place({n})" for n in names])
            opn.append([f"open({n})" if r["articulated"] else "" for n, r in zip(names, recs)])
            ask.append([a for a in vocab if a.startswith("ask(")])
            picks.append([[f"pick({world['objects'][o]['description']})" for o in r["slot_objects"] if o >= 0]
                          for r in recs])
            missing = [a for a in nav[-1] + place[-1] if a not in vocab]
            if missing:
                raise AssertionError(f"episode {e}: {missing[0]} is not in valid_actions; the bench's action forms are stale")
        longest = max(len(a.encode()) for rows in (nav, place, opn, ask) for r in rows for a in r)
        longest = max([longest] + [len(a.encode()) for ps in picks for p in ps for a in p])
        dtype = f"S{longest}"
        self.nav, self.n_rec = _table(nav, dtype)
        self.place, _ = _table(place, dtype)
        self.open, _ = _table(opn, dtype)
        self.opens = self.open != b""
        self.ask, self.n_ask = _table(ask, dtype)
        r_max = self.nav.shape[1]
        s_max = max(1, max(len(p) for ps in picks for p in ps))
        self.pick = np.zeros((len(picks), r_max, s_max), dtype=dtype)
        self.n_pick = np.zeros((len(picks), r_max), dtype=np.int64)
        for e, ps in enumerate(picks):
            for r, p in enumerate(ps):
                self.pick[e, r, :len(p)] = [a.encode() for a in p]
                self.n_pick[e, r] = len(p)
        if (self.n_rec < 2).any():
            raise ValueError("every scene needs two receptacles or more (rerender mode moves between them)")


class SceneActions:
    """Draws one action per env per step from its current scene; counts invalid and re-rendered steps."""

    def __init__(self, tables: SceneTables, num_envs: int, seed: int = 0, rerender: bool = False,
                 mix: tuple[float, ...] = POLICY_MIX):
        self.t, self.n, self.rerender = tables, num_envs, rerender
        self.mix = np.asarray(mix, dtype=float)
        if self.mix.shape != (len(SKILLS),) or abs(self.mix.sum() - 1) > 1e-9:
            raise ValueError(f"mix: {len(SKILLS)} shares {SKILLS} summing to 1, got {mix}")
        self.rng = np.random.default_rng(seed)
        self.episode = np.zeros(num_envs, dtype=np.int64)
        self.at = np.full(num_envs, -1)          # receptacle the robot stands at, -1 in a room
        self.held = np.zeros(num_envs, dtype=bool)
        self._kind = np.zeros(num_envs, dtype=np.int64)
        self._target = np.full(num_envs, -1)
        self.steps = self.invalid = self.rendered = 0

    def reset_counts(self) -> None:
        self.steps = self.invalid = self.rendered = 0

    def start(self, batch) -> None:
        """Takes the reset batch (rows in env order)."""
        self.episode[:] = batch.episode
        self.at[:] = -1
        self.held[:] = False

    def draw(self) -> np.ndarray:
        t, ep, rng, n = self.t, self.episode, self.rng, self.n
        n_rec = t.n_rec[ep]
        if self.rerender:  # any receptacle but the current one
            dest = (rng.random(n) * np.where(self.at >= 0, n_rec - 1, n_rec)).astype(np.int64)
            dest = np.where((self.at >= 0) & (dest >= self.at), dest + 1, dest)
            self._kind[:] = NAV
            self._target[:] = dest
            return t.nav[ep, dest]
        kind = rng.choice(len(SKILLS), size=n, p=self.mix)
        here = np.maximum(self.at, 0)
        at_rec = self.at >= 0
        kind[(kind == PICK) & ~(at_rec & ~self.held & (t.n_pick[ep, here] > 0))] = NAV
        kind[(kind == OPEN) & ~(at_rec & t.opens[ep, here])] = NAV
        kind[(kind == PLACE) & ~(at_rec & self.held)] = NAV
        u = rng.random(n)
        dest = (u * n_rec).astype(np.int64)
        out = t.nav[ep, dest]
        q = kind == ASK
        out[q] = t.ask[ep[q], (u[q] * t.n_ask[ep[q]]).astype(np.int64)]
        p = kind == PICK
        out[p] = t.pick[ep[p], here[p], (u[p] * t.n_pick[ep[p], here[p]]).astype(np.int64)]
        o = kind == OPEN
        out[o] = t.open[ep[o], here[o]]
        pl = kind == PLACE
        out[pl] = t.place[ep[pl], here[pl]]
        self._kind[:] = kind
        self._target[:] = np.where(kind == NAV, dest, -1)
        return out

    def observe(self, batch) -> None:
        """Takes the batch the drawn actions produced (rows in env order): updates the tracked state
        and the counts of invalid and re-rendered steps."""
        first = np.asarray(batch.first)
        invalid = np.asarray(batch.invalid)
        ok = ~first & ~invalid
        kind = self._kind
        moved = ok & (kind == NAV) & (self._target != self.at)
        changed = ok & ((kind == PICK) | (kind == OPEN) | (kind == PLACE))
        self.steps += self.n
        self.invalid += int(invalid.sum())
        self.rendered += int((first | moved | changed).sum())
        self.at = np.where(ok & (kind == NAV), self._target, self.at)
        self.held = np.where(ok & (kind == PICK), True, np.where(ok & (kind == PLACE), False, self.held))
        self.at[first] = -1
        self.held[first] = False
        self.episode[:] = batch.episode

    @property
    def invalid_share(self) -> float:
        return self.invalid / max(1, self.steps)

    @property
    def rerender_share(self) -> float:
        return self.rendered / max(1, self.steps)
