"""Malformed files: episode files (bad UTF-8, lone surrogates, BOMs, duplicate fields, bad labels,
negative templates, and thousands of random mutations of a valid line), dataset manifests and
metrics files. Every one is rejected on reading with one clear message naming the file, the line and
the field (or accepted whole, for mutations that happen to stay valid); nothing crashes."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys

import pytest

from a2a import _core
from a2a.data import EpisodeFileError, ManifestError, generate_dataset, load_episodes
from a2a.data.dataset import read_manifest

pytestmark = pytest.mark.timeout(300)

MUTATIONS = 10_000


@pytest.fixture(scope="module")
def valid_line(train_episodes) -> bytes:
    return train_episodes.select([1]).to_jsonl().rstrip(b"\n")


def _with_instruction(line: bytes, raw: bytes) -> bytes:
    at = line.index(b'"instruction":"') + len(b'"instruction":"')
    return line[:at] + raw + line[at:]


def _replace_field(line: bytes, field: bytes, value: bytes) -> bytes:
    return re.sub(rb'"' + field + rb'":("[^"]*"|-?\d+)', b'"' + field + b'":' + value, line, count=1)


CASES = {
    # name: (mutation of a valid line, field named in the error, what the error says)
    "raw 0xff in a string": (lambda l: _with_instruction(l, b"\xff"), "instruction", r"invalid UTF-8 \(byte \\xff\)"),
    "truncated UTF-8 sequence": (lambda l: _with_instruction(l, b"\xe2\x82"), "instruction", "invalid UTF-8"),
    "overlong UTF-8": (lambda l: _with_instruction(l, b"\xc1\xbf"), "instruction", "invalid UTF-8"),
    "UTF-8 encoded surrogate": (lambda l: _with_instruction(l, b"\xed\xb0\x80"), "instruction", "invalid UTF-8"),
    "escaped lone high surrogate": (lambda l: _with_instruction(l, b"\\uD800"), "instruction", "lone UTF-16 surrogate"),
    "escaped lone low surrogate": (lambda l: _with_instruction(l, b"\\udfff"), "instruction", "lone UTF-16 surrogate"),
    "BOM at the start of a line": (lambda l: b"\xef\xbb\xbf" + l, r"\(json\)", "byte order mark"),
    "BOM inside a string": (lambda l: _with_instruction(l, b"\xef\xbb\xbf"), "instruction", "byte order mark"),
    "escaped BOM": (lambda l: _with_instruction(l, b"\\ufeff"), "instruction", "byte order mark"),
    "escaped NUL": (lambda l: _with_instruction(l, b"\\u0000"), "instruction", "NUL"),
    "duplicate top-level field": (lambda l: b'{"K":0,' + l[1:], "K", "duplicate field"),
    "duplicate nested field": (lambda l: l.replace(b'{"name":', b'{"slots":1,"name":', 1),
                               r"world\.receptacles\[0\]\.slots", "duplicate field"),
    "repeated ambiguity type": (lambda l: _replace_field(l, b"ambiguity", b'"attribute+attribute"'), "ambiguity",
                                "names a type twice"),
    "empty ambiguity part": (lambda l: _replace_field(l, b"ambiguity", b'"attribute+"'), "ambiguity", "unknown label"),
    "negative template": (lambda l: _replace_field(l, b"template", b"-1"), "template", r"-1 out of range \[0, "),
    "template past the last": (lambda l: _replace_field(l, b"template", b"10"), "template", "out of range"),
    "escaped control character in a name": (lambda l: l.replace(b'"category":"', b'"category":"\\t', 1),
                                             r"spec\.category", r"unknown category '\\x09"),
    "bad byte in a room name": (lambda l: l.replace(b'"rooms":["', b'"rooms":["\xfe', 1), r"world\.rooms\[0\]",
                                "invalid UTF-8"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_episode_file_names_file_line_and_field(name, valid_line, tmp_path, tally):
    mutate, field, what = CASES[name]
    path = tmp_path / "episodes.jsonl"
    path.write_bytes(valid_line + b"\n" + mutate(valid_line) + b"\n")  # the bad record is on line 2
    with pytest.raises(EpisodeFileError) as e:
        load_episodes(path)
    msg = str(e.value)
    tally["cases"] += 1
    assert re.match(rf"{re.escape(str(path))}: line 2: {field}: .*{what}", msg), msg
    assert not re.search(r"[\x00-\x1f\x7f]", msg), msg


def test_malformed_episode_file_fails_in_the_cli_with_one_line(valid_line, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(_with_instruction(valid_line, b"\\uD800") + b"\n")
    r = subprocess.run([sys.executable, "-m", "a2a.cli.main", "eval", "--agent", "random", "--split", str(path),
                        "--out", str(tmp_path / "out"), "--no-progress"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert re.fullmatch(rf"a2a eval: error: {re.escape(str(path))}: line 1: instruction: .*lone UTF-16 surrogate.*\n",
                        r.stderr), r.stderr


def _mutate(rng: random.Random, line: bytes) -> bytes:
    b = bytearray(line)
    for _ in range(rng.randint(1, 3)):
        op = rng.random()
        pos = rng.randrange(len(b))
        if op < 0.35:
            b[pos] = rng.choice([rng.randrange(256), 0xFF, 0x80, 0xC0, 0xED, 0xF4, ord('"'), ord("\\"), ord("{")])
        elif op < 0.55:
            del b[pos:pos + rng.randint(1, 8)]
        elif op < 0.7:
            b[pos:pos] = rng.choice([b"\\uD83D", b"\\uDE00", b"\xef\xbb\xbf", b"\\u0000", b'"K":1,', b"\x00", b"\xf0\x9f"])
        elif op < 0.85:
            b = b[:pos]  # truncated
        else:
            start = rng.randrange(len(b))
            b[pos:pos] = b[start:start + rng.randint(1, 40)]  # a duplicated chunk (often a duplicate field)
        if not b:
            b = bytearray(b"{")
    return bytes(b)


def test_thousands_of_mutated_episode_lines_never_crash(valid_line, tally):
    rng = random.Random(11)
    pattern = re.compile(r"line 1: [^:]+: .+")
    for _ in range(MUTATIONS):
        data = _mutate(rng, valid_line)
        tally["cases"] += 1
        try:
            eps = _core.EpisodeSet.from_jsonl(data)
        except _core.EpisodeFormatError as e:  # a ValueError naming the line and the field
            msg = str(e)
            assert pattern.fullmatch(msg) and not re.search(r"[\x00-\x1f\x7f]", msg), msg
            tally["rejected"] += 1
            continue
        except Exception as e:  # noqa: BLE001 - anything else is a crash
            tally["crashes"] += 1
            raise AssertionError(f"{type(e).__name__}: {e} for {data!r}") from e
        tally["accepted"] += 1  # still valid: it must round-trip and hold valid UTF-8 text
        again = _core.EpisodeSet.from_jsonl(eps.to_jsonl())
        assert again.to_jsonl() == eps.to_jsonl()
        eps.to_jsonl().decode("utf-8")
    assert tally["rejected"] > MUTATIONS // 2


MANIFESTS = {
    "format only": ('{"format":"a2a-dataset/1"}', "missing field"),
    "counts is text": ('{"format":"a2a-dataset/1","seed":0,"max_steps":40,"counts":"lots"}', "counts: expected an object"),
    "negative count": ('{"format":"a2a-dataset/1","seed":0,"max_steps":40,"counts":{"train":-1}}',
                       "counts.train: expected a non-negative integer"),
    "count is text": ('{"format":"a2a-dataset/1","seed":0,"max_steps":40,"counts":{"train":"5"}}', "counts.train"),
    "unknown split": ('{"format":"a2a-dataset/1","seed":0,"max_steps":40,"counts":{"trian":5}}', "unknown split"),
    "seed is null": ('{"format":"a2a-dataset/1","seed":null,"max_steps":40,"counts":{}}', "seed"),
    "not an object": ("[1, 2]", "expected a JSON object"),
    "not JSON": ("{format: a2a", "malformed manifest"),
    "bad UTF-8": (b'{"format":"a2a-dataset/1\xff"}', "malformed manifest"),
    "wrong format": ('{"format":"a2a-dataset/0"}', "is not 'a2a-dataset/1'"),
}


@pytest.mark.parametrize("name", list(MANIFESTS))
def test_malformed_manifest_names_the_file(name, tmp_path, tally):
    text, what = MANIFESTS[name]
    path = tmp_path / "manifest.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ManifestError) as e:
        read_manifest(tmp_path)
    tally["cases"] += 1
    assert str(e.value).startswith(f"{path}: ") and what in str(e.value), str(e.value)


def test_malformed_manifest_in_the_cli_is_one_line(tmp_path):
    generate_dataset(tmp_path / "ds", {"val_unseen_scenes": 2}, progress=False)
    m = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    m["counts"] = "lots"
    (tmp_path / "ds" / "manifest.json").write_text(json.dumps(m))
    r = subprocess.run([sys.executable, "-m", "a2a.cli.main", "eval", "--agent", "random", "--split",
                        "val_unseen_scenes", "--dataset", str(tmp_path / "ds"), "--out", str(tmp_path / "out"),
                        "--no-progress"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and "manifest.json: malformed manifest: counts" in r.stderr, r.stderr
