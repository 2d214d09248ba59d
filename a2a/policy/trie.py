"""Prefix trie over the token ids of a scene's valid actions (constrained decoding).

Every action is tokenized on its own and followed by the terminal token (`<|im_end|>`), so the set
of token sequences is prefix-free: decoding walks from the root, at each node only the node's
children may be chosen, and it ends exactly when a leaf (after the terminal) is reached, which
names one valid action. Tries are cached per vocabulary (`TrieCache`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence


class ActionTrie:
    """Node 0 is the root. For node n: `children[n]` maps token id -> child node, `cands[n]` lists the
    allowed token ids in a fixed order, `leaf_action[n]` is the action index at a leaf (else -1)."""

    __slots__ = ("actions", "token_ids", "terminal_id", "children", "cands", "leaf_action", "_index", "max_depth")

    def __init__(self, actions: Sequence[str], token_ids: Sequence[Sequence[int]], terminal_id: int):
        if len(actions) != len(token_ids):
            raise ValueError("actions and token_ids must have the same length")
        if not actions:
            raise ValueError("an action trie needs at least one action")
        self.actions: tuple[str, ...] = tuple(actions)
        self.terminal_id = int(terminal_id)
        self.children: list[dict[int, int]] = [{}]
        self.leaf_action: list[int] = [-1]
        self._index: dict[str, int] = {}
        seqs: list[tuple[int, ...]] = []
        for i, (a, toks) in enumerate(zip(actions, token_ids)):
            if a in self._index:
                raise ValueError(f"duplicate action {a!r}")
            toks = tuple(int(t) for t in toks)
            if not toks:
                raise ValueError(f"action {a!r} tokenizes to nothing")
            if self.terminal_id in toks:
                raise ValueError(f"action {a!r} contains the terminal token")
            self._index[a] = i
            seqs.append(toks)
            node = 0
            for t in toks + (self.terminal_id,):
                nxt = self.children[node].get(t)
                if nxt is None:
                    nxt = len(self.children)
                    self.children[node][t] = nxt
                    self.children.append({})
                    self.leaf_action.append(-1)
                node = nxt
            if self.leaf_action[node] != -1:
                raise ValueError(f"actions {self.actions[self.leaf_action[node]]!r} and {a!r} have the same tokens")
            self.leaf_action[node] = i
        self.token_ids: tuple[tuple[int, ...], ...] = tuple(seqs)
        self.cands: list[tuple[int, ...]] = [tuple(c.keys()) for c in self.children]
        self.max_depth = max(len(s) for s in seqs) + 1

    @property
    def root(self) -> int:
        return 0

    def __len__(self) -> int:
        return len(self.actions)

    @property
    def num_nodes(self) -> int:
        return len(self.children)

    def is_leaf(self, node: int) -> bool:
        return self.leaf_action[node] >= 0

    def child(self, node: int, token: int) -> int:
        try:
            return self.children[node][token]
        except KeyError:
            raise ValueError(f"token {token} is not allowed at trie node {node}") from None

    def action_at(self, node: int) -> str:
        i = self.leaf_action[node]
        if i < 0:
            raise ValueError(f"trie node {node} is not a leaf")
        return self.actions[i]

    def index(self, action: str) -> int:
        try:
            return self._index[action]
        except KeyError:
            raise ValueError(f"action {action!r} is not in this scene's action vocabulary") from None

    def path(self, action: str) -> tuple[list[int], list[int]]:
        """(tokens incl. the terminal, nodes visited before each token) for a valid action."""
        toks = list(self.token_ids[self.index(action)]) + [self.terminal_id]
        nodes, node = [], 0
        for t in toks:
            nodes.append(node)
            node = self.children[node][t]
        return toks, nodes


class TrieCache:
    """Tries keyed by the vocabulary (tuple of actions), least recently used dropped past `maxsize`."""

    def __init__(self, tokenize: Callable[[list[str]], Sequence[Sequence[int]]], terminal_id: int, maxsize: int = 256):
        self._tokenize = tokenize
        self._terminal = terminal_id
        self._maxsize = maxsize
        self._tries: OrderedDict[tuple[str, ...], ActionTrie] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, actions: Sequence[str] | ActionTrie) -> ActionTrie:
        if isinstance(actions, ActionTrie):
            return actions
        key = tuple(dict.fromkeys(actions))  # dedupe, keep order
        trie = self._tries.get(key)
        if trie is not None:
            self.hits += 1
            self._tries.move_to_end(key)
            return trie
        self.misses += 1
        trie = ActionTrie(key, self._tokenize(list(key)), self._terminal)
        self._tries[key] = trie
        if len(self._tries) > self._maxsize:
            self._tries.popitem(last=False)
        return trie

    def __len__(self) -> int:
        return len(self._tries)
