"""Zero-shot and few-shot (M)LLM agents over any OpenAI-compatible endpoint (the paper's Table 1 baselines).

- `wg-react` / `wg-direct`: a text LLM reads a world graph (`--observability full`: the privileged
  graph of the whole apartment; `partial`: only what the robot has observed so far, tracked by the
  core) and answers with a thought and one action (ReAct) or the action alone (direct); `--shots N`
  prepends worked examples from the oracle's trajectories on the train split.
- `som-react` / `som-direct`: a vision LLM sees the current view with numbered Set-of-Marks and acts
  through tool calls; it picks by mark number, mapped to the object through the core's mark table.

Modules: `config` (the options, validated), `prompts` (task, skills and grammar text, turns),
`replies` (parsing a reply into thought and action), `memory` (per-env episode memory and step
records), `base` (the batched agent loop over the LLM client), `world_graph` and `set_of_marks` (the
two families), `shots` (few-shot examples), `registration` (the `a2a.agents` entry point). See docs/llm_agents.md.
"""
