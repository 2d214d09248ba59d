"""The prompt format: the one place that says what text surrounds frames, actions and answers.

ChatML (the format of LLaVA-OneVision's Qwen2 and of SmolLM2), one user turn per step holding the
feedback of the previous action and the current frame, one assistant turn per action:

    <|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n
    <|im_start|>user\n{instruction}<|im_end|>\n
    for every past step t:
      <|im_start|>user\n[{feedback_t}\n]<FRAME t><|im_end|>\n<|im_start|>assistant\n{action_t}<|im_end|>\n
    <|im_start|>user\n[{feedback}\n]<FRAME now><|im_end|>\n<|im_start|>assistant\n
    -> decoded: {action}<|im_end|>            (<|im_end|> is the action's terminal token)

<FRAME> stands for the frame's compressed tokens (e.g. 4). Text pieces are tokenized separately
(segment by segment), the same way when acting and when scoring, so token boundaries never depend
on neighbouring text. `CHAT_TEMPLATE` renders the same text for plain chat messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeAlias

from .history import FrameFeatures, PolicyInput, Step

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
IMAGE_TOKEN = "<image>"
VIDEO_TOKEN = "<video>"
PAD_TOKEN = "<|endoftext|>"

SYSTEM_PROMPT = (
    "You are a home robot. Carry out the user's instruction. Each turn you see what the robot sees and "
    "reply with exactly one action: navigate(<receptacle>), open(<receptacle>), close(<receptacle>), "
    "pick(<object>), place(<receptacle>) or ask(<question>). Ask only when the instruction is ambiguous."
)

# Jinja chat template equivalent to the text layout above (for tokenizers saved by `a2a model init-tiny`).
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Frame:
    frame: FrameFeatures


@dataclass(frozen=True)
class PastAction:
    """An action taken earlier: its tokens followed by the terminal token."""

    action: str


Segment: TypeAlias = Text | Frame | PastAction


@dataclass(frozen=True)
class PromptFormat:
    system_prompt: str = SYSTEM_PROMPT
    answer_prefix: str = "Answer: "
    invalid_notice: str = "That action was invalid."
    # special-token text the tokenizer must know
    im_start: str = IM_START
    im_end: str = IM_END

    @property
    def terminal_token(self) -> str:
        """Ends every action (decoding stops after it)."""
        return self.im_end

    def feedback(self, answer: str, invalid: bool, view: str = "") -> str:
        """Text shown with the next frame about the previous action's outcome ("" when nothing), followed by
        `view` (scene_text policies: a2a.policy.scene's text of the step)."""
        parts = []
        if invalid:
            parts.append(self.invalid_notice)
        if answer:
            parts.append(self.answer_prefix + answer)
        if view:
            parts.append(view)
        return " ".join(parts)

    def header(self, instruction: str) -> str:
        return (f"{self.im_start}system\n{self.system_prompt}{self.im_end}\n"
                f"{self.im_start}user\n{instruction}{self.im_end}\n")

    def user_open(self, feedback: str) -> str:
        return f"{self.im_start}user\n" + (f"{feedback}\n" if feedback else "")

    @property
    def user_close_assistant_open(self) -> str:
        return f"{self.im_end}\n{self.im_start}assistant\n"

    @property
    def after_action(self) -> str:
        """Text after a past action's terminal token."""
        return "\n"

    def segments(self, inp: PolicyInput, max_past_steps: int | None = None) -> Iterator[Segment]:
        """The prompt of `inp` as segments, up to the current assistant turn (the action comes next).
        Only the last `max_past_steps` past steps are kept (None: all)."""
        yield from self.header_segments(inp.instruction)
        for step in self.kept_past(inp, max_past_steps):
            yield from self.past_step_segments(step)
        yield from self.current_step_segments(inp.steps[-1])

    @staticmethod
    def kept_past(inp: PolicyInput, max_past_steps: int | None) -> tuple[Step, ...]:
        past = inp.steps[:-1]
        if max_past_steps is not None:
            past = past[-max_past_steps:] if max_past_steps > 0 else ()
        return past

    def header_segments(self, instruction: str) -> Iterator[Segment]:
        yield Text(self.header(instruction))

    def past_step_segments(self, step: Step) -> Iterator[Segment]:
        yield Text(self.user_open(step.feedback))
        yield Frame(step.frame)
        yield Text(self.user_close_assistant_open)
        yield PastAction(step.action)  # type: ignore[arg-type]
        yield Text(self.after_action)

    def current_step_segments(self, step: Step) -> Iterator[Segment]:
        yield Text(self.user_open(step.feedback))
        yield Frame(step.frame)
        yield Text(self.user_close_assistant_open)

    def render(self, inp: PolicyInput, max_past_steps: int | None = None, frame_text: str = IMAGE_TOKEN) -> str:
        """The prompt as plain text, frames shown as `frame_text` (for logs and docs)."""
        out = []
        for seg in self.segments(inp, max_past_steps):
            if isinstance(seg, Text):
                out.append(seg.text)
            elif isinstance(seg, Frame):
                out.append(frame_text)
            else:
                out.append(seg.action + self.terminal_token)
        return "".join(out)
