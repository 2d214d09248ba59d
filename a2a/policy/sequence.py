"""Input builder: a batch of ragged per-env histories -> one padded token/embedding layout.

Two alignments:
  - "left" (acting): row b holds its prompt in columns [L - n_b, L) (left padding), so the last
    prompt token of every row sits in column L - 1, where the value is read and decoding starts;
    action tokens, if given, follow in [L, L + a_b).
  - "right" (scoring): row b holds its prompt and then its action tokens from column 0; the padding
    is at the end, so plain causal attention never sees it (no mask needed).
Position ids count only real tokens (0 at a row's first token); the attention mask is 1 on real
tokens. Frame slots hold the image token id as a placeholder; their embeddings are replaced by the
compressed frame tokens.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from .history import FrameFeatures, PolicyInput
from .prompt import Frame, PastAction, PromptFormat, Text

# token kinds (SequenceBatch.kinds)
PAD, TEXT, FRAME, PAST_ACTION, ACTION = 0, 1, 2, 3, 4
KIND_NAMES = {PAD: "pad", TEXT: "text", FRAME: "frame", PAST_ACTION: "past_action", ACTION: "action"}


@dataclass
class SequenceBatch:
    input_ids: torch.Tensor       # long [B, L + A]; image token id at frame slots, pad id at pads
    attention_mask: torch.Tensor  # long [B, L + A]
    position_ids: torch.Tensor    # long [B, L + A]
    kinds: torch.Tensor           # uint8 [B, L + A]: PAD, TEXT, FRAME, PAST_ACTION, ACTION
    frames: list[FrameFeatures]   # distinct frames of the batch
    slot_frame: torch.Tensor      # long [S]: index into `frames` of each frame slot
    slot_row: torch.Tensor        # long [S]: flat row (b * (L + A) + column) of each slot's first token
    prompt_lengths: torch.Tensor  # long [B]
    action_lengths: torch.Tensor  # long [B]: scored action tokens appended (0 when acting)
    prompt_width: int             # L = max prompt length
    tokens_per_frame: int
    align: str = "left"

    def prompt_start(self, b: int) -> int:
        """Column of row b's first prompt token."""
        return self.prompt_width - int(self.prompt_lengths[b]) if self.align == "left" else 0

    @property
    def batch_size(self) -> int:
        return int(self.input_ids.shape[0])

    @property
    def width(self) -> int:
        return int(self.input_ids.shape[1])

    def to(self, device: torch.device | str) -> SequenceBatch:
        for name in ("input_ids", "attention_mask", "position_ids", "kinds", "slot_frame", "slot_row",
                     "prompt_lengths", "action_lengths"):
            setattr(self, name, getattr(self, name).to(device, non_blocking=True))
        return self

    def row_ids_and_frames(self) -> tuple[list[list[int]], list[list[FrameFeatures]]]:
        """Each row's prompt token ids (no padding) and the frames of its frame slots, in order
        (a left-aligned acting layout)."""
        if self.align != "left" or int(self.action_lengths.sum()):
            raise ValueError("row_ids_and_frames needs an acting layout (left-aligned prompts, no actions)")
        L = self.prompt_width
        ids = self.input_ids[:, :L].tolist()
        lens = self.prompt_lengths.tolist()
        row_ids = [r[L - n:] for r, n in zip(ids, lens)]
        row_frames: list[list[FrameFeatures]] = [[] for _ in lens]
        for slot, f in zip(self.slot_row.tolist(), self.slot_frame.tolist()):
            row_frames[slot // self.width].append(self.frames[f])
        return row_ids, row_frames

    def slot_token_rows(self) -> torch.Tensor:
        """long [S * k]: flat rows of every frame token, slot-major."""
        k = self.tokens_per_frame
        return (self.slot_row[:, None] + torch.arange(k, device=self.slot_row.device)).reshape(-1)


class SequenceBuilder:
    """Tokenizes prompt segments (cached per string) and lays out batches."""

    def __init__(self, encode: Callable[[str], list[int]], fmt: PromptFormat, *, image_token_id: int, pad_id: int,
                 terminal_id: int, tokens_per_frame: int, max_past_steps: int | None = None, cache_size: int = 65536,
                 action_text: Callable[[str], str] = str):
        self._encode = encode
        self.action_text = action_text  # the text the policy writes for an env action (a2a/policy/wording.py)
        self.format = fmt
        self.image_token_id = int(image_token_id)
        self.pad_id = int(pad_id)
        self.terminal_id = int(terminal_id)
        self.tokens_per_frame = int(tokens_per_frame)
        self.max_past_steps = max_past_steps
        self._cache: OrderedDict[str, tuple[int, ...]] = OrderedDict()
        self._cache_size = cache_size
        # past steps' tokens, per frame (dropped with the frame)
        self._steps: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def encode(self, text: str) -> tuple[int, ...]:
        ids = self._cache.get(text)
        if ids is None:
            ids = tuple(self._encode(text))
            self._cache[text] = ids
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return ids

    def encode_actions(self, actions: list[str],
                       batch_encode: Callable[[list[str]], list[list[int]]]) -> list[tuple[int, ...]]:
        """Token ids of many actions' texts (one batch call for those not cached yet), through the same cache
        as `encode`, so an action has the same ids in the trie and in the prompt."""
        texts = [self.action_text(a) for a in actions]
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            for t, ids in zip(todo, batch_encode(todo)):
                self._cache[t] = tuple(ids)
        out = [self._cache[t] for t in texts]
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return out

    def _tokens(self, segments) -> tuple[list[int], list[int], list[FrameFeatures]]:
        ids: list[int] = []
        kinds: list[int] = []
        frames: list[FrameFeatures] = []
        k = self.tokens_per_frame
        for seg in segments:
            if isinstance(seg, Text):
                t = self.encode(seg.text)
                ids.extend(t)
                kinds.extend([TEXT] * len(t))
            elif isinstance(seg, Frame):
                frames.append(seg.frame)
                ids.extend([self.image_token_id] * k)
                kinds.extend([FRAME] * k)
            elif isinstance(seg, PastAction):
                t = self.encode(self.action_text(seg.action)) + (self.terminal_id,)
                ids.extend(t)
                kinds.extend([PAST_ACTION] * len(t))
            else:  # pragma: no cover - PromptFormat yields only these
                raise TypeError(f"unknown segment {seg!r}")
        return ids, kinds, frames

    def _past_step(self, step) -> tuple[list[int], list[int], list[FrameFeatures]]:
        """A past step's tokens, computed once per step (keyed by its frame, which it alone holds)."""
        by_text = self._steps.get(step.frame)
        if by_text is None:
            by_text = self._steps[step.frame] = {}
        key = (step.feedback, step.action)
        out = by_text.get(key)
        if out is None:
            out = by_text[key] = self._tokens(self.format.past_step_segments(step))
        return out

    def prompt(self, inp: PolicyInput) -> tuple[list[int], list[int], list[FrameFeatures]]:
        """(token ids, kinds, frames in slot order) of one prompt (the layout of PromptFormat.segments)."""
        head_ids, head_kinds, head_frames = self._tokens(self.format.header_segments(inp.instruction))
        ids, kinds, frames = list(head_ids), list(head_kinds), list(head_frames)
        for step in self.format.kept_past(inp, self.max_past_steps):
            i, k, f = self._past_step(step)
            ids += i
            kinds += k
            frames += f
        i, k, f = self._tokens(self.format.current_step_segments(inp.steps[-1]))
        return ids + i, kinds + k, frames + f

    def build(self, inputs: Sequence[PolicyInput], action_tokens: Sequence[Sequence[int]] | None = None,
              align: str = "left") -> SequenceBatch:
        """Layout for acting (`action_tokens=None`) or for scoring (the tokens to append per row;
        pass the action's tokens without the terminal: the terminal is predicted, never fed)."""
        if not inputs:
            raise ValueError("empty batch")
        if align not in ("left", "right"):
            raise ValueError(f"align must be 'left' or 'right', got {align!r}")
        if action_tokens is not None and len(action_tokens) != len(inputs):
            raise ValueError(f"{len(action_tokens)} action token lists for {len(inputs)} inputs")
        prompts = [self.prompt(inp) for inp in inputs]
        B = len(inputs)
        L = max(len(p[0]) for p in prompts)
        acts = [tuple(a) for a in action_tokens] if action_tokens is not None else [()] * B
        A = max((len(a) for a in acts), default=0)
        W = L + A if align == "left" else max(len(p[0]) + len(a) for p, a in zip(prompts, acts))
        ids = torch.full((B, W), self.pad_id, dtype=torch.long)
        mask = torch.zeros((B, W), dtype=torch.long)
        kinds = torch.zeros((B, W), dtype=torch.uint8)
        pos = torch.zeros((B, W), dtype=torch.long)
        frame_index: dict[int, int] = {}
        frames: list[FrameFeatures] = []
        slot_frame: list[int] = []
        slot_row: list[int] = []
        plen = []
        for b, ((p_ids, p_kinds, p_frames), act) in enumerate(zip(prompts, acts)):
            n = len(p_ids)
            start = L - n if align == "left" else 0
            row_kinds = torch.tensor(p_kinds, dtype=torch.uint8)
            ids[b, start:start + n] = torch.tensor(p_ids, dtype=torch.long)
            kinds[b, start:start + n] = row_kinds
            if act:
                ids[b, start + n:start + n + len(act)] = torch.tensor(act, dtype=torch.long)
                kinds[b, start + n:start + n + len(act)] = ACTION
            m = n + len(act)
            mask[b, start:start + m] = 1
            pos[b, start:start + m] = torch.arange(m)
            plen.append(n)
            # frame slots, in order of appearance
            cols = ((row_kinds == FRAME).nonzero().squeeze(1)[:: self.tokens_per_frame] + start).tolist()
            for f, c in zip(p_frames, cols):
                j = frame_index.get(id(f))
                if j is None:
                    j = frame_index[id(f)] = len(frames)
                    frames.append(f)
                slot_frame.append(j)
                slot_row.append(b * W + c)
        return SequenceBatch(
            input_ids=ids, attention_mask=mask, position_ids=pos, kinds=kinds, frames=frames,
            slot_frame=torch.tensor(slot_frame, dtype=torch.long), slot_row=torch.tensor(slot_row, dtype=torch.long),
            prompt_lengths=torch.tensor(plen, dtype=torch.long),
            action_lengths=torch.tensor([len(a) for a in acts], dtype=torch.long),
            prompt_width=L, tokens_per_frame=self.tokens_per_frame, align=align,
        )
