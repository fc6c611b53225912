"""archive.search.words: jieba's dictionary read in pieces cuts text exactly as jieba's whole dictionary."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import warnings
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.search import words
from archive.documents.layout import FORM_WORDS

ROOT = Path(__file__).parent.parent


def whole(user_words: tuple[str, ...] = (), user_dict: bool = False):
    """jieba's own tokenizer, its whole dictionary loaded as jieba loads it."""
    jieba = words._jieba()
    tok = jieba.Tokenizer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tok.initialize()
    return _dressed(tok, user_words, user_dict)


def piecewise(user_words: tuple[str, ...] = (), user_dict: bool = False):
    return _dressed(words.tokenizer(), user_words, user_dict)


def _dressed(tok, user_words, user_dict):
    for w in user_words:
        tok.add_word(w, freq=200000)
    if user_dict:
        with resources.as_file(resources.files("archive.search") / "data" / "user_dict.txt") as path:
            with open(path, "rb") as f:  # jieba leaves a file it opens itself open
                tok.load_userdict(f)
    return tok


@pytest.fixture(scope="module")
def pairs():
    return {
        "forms": (whole(FORM_WORDS), piecewise(FORM_WORDS)),
        "search": (whole(user_dict=True), piecewise(user_dict=True)),
        "plain": (whole(), piecewise()),
    }


def _dictionary_words(n: int = 4000) -> list[str]:
    jieba = words._jieba()
    with jieba.Tokenizer().get_dict_file() as f:
        lines = f.read().decode("utf-8").splitlines()
    return [ln.split(" ")[0] for ln in lines[:: max(1, len(lines) // n)]]


PIECES = _dictionary_words() + list(FORM_WORDS) + [
    "，", "。", "、", "：", "（", "）", " ", "\n", "DH-2026-0137", "3号", "Q2", "10 t", "°", "𠀀", "㐀", "甲", "乙",
    "动火作业", "受限空间", "盲板抽堵", "作业负责人", "统一社会信用代码", "联系电话", "有限空间作业",
]
texts = st.lists(st.sampled_from(PIECES), min_size=1, max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts, which=st.sampled_from(["forms", "search", "plain"]))
def test_the_pieces_cut_text_as_the_whole_dictionary(pairs, text, which):
    full, pieces = pairs[which]
    assert list(pieces.cut(text, HMM=False)) == list(full.cut(text, HMM=False))
    assert list(pieces.cut(text, HMM=True)) == list(full.cut(text, HMM=True))


def test_labels_and_known_words_of_the_forms(pairs):
    full, pieces = pairs["forms"]
    for text in ("动火安全作业票的作业负责人联系电话", "统一社会信用代码", "特种作业操作证证书编号", "接受交底人签字"):
        assert list(pieces.cut(text, HMM=False)) == list(full.cut(text, HMM=False))
    assert list(pieces.cut("动火安全作业票", HMM=False)) == ["动火", "安全作业票"]
    assert pieces.total == full.total  # the words added count alike


def test_a_tokenizer_holds_only_the_pieces_of_what_it_cut():
    tok = words.tokenizer()
    list(tok.cut("动火安全作业票", HMM=False))
    assert 0 < len(tok.FREQ) < 20_000  # jieba's whole dictionary: about 500,000 keys


@pytest.fixture()
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    words.pieces.cache_clear()
    yield tmp_path / "cache" / "outsafe"
    words.pieces.cache_clear()


def test_the_pieces_are_made_once_in_a_private_directory(cache_home):
    got = words.pieces()
    assert got is not None
    files = list(cache_home.glob("jieba-*.pieces"))
    assert len(files) == 1
    assert stat.S_IMODE(cache_home.stat().st_mode) == 0o700
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    made = files[0].stat().st_mtime_ns
    words.pieces.cache_clear()
    assert words.pieces() is not None
    assert files[0].stat().st_mtime_ns == made  # read, not made again
    assert not list(cache_home.glob(".pieces-*"))  # no temporary file left


@pytest.mark.parametrize("damage", ["garbage", "cut short", "empty", "another dictionary"])
def test_a_damaged_file_of_pieces_is_made_again(cache_home, pairs, damage):
    assert words.pieces() is not None
    path = next(cache_home.glob("jieba-*.pieces"))
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"\x00" * 4096)
    elif damage == "cut short":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # a file of pieces named for this dictionary but holding another one's head
        size = int.from_bytes(data[len(words._MAGIC):len(words._MAGIC) + 8], "big")
        import marshal
        head = list(marshal.loads(data[len(words._MAGIC) + 8:len(words._MAGIC) + 8 + size]))
        head[1] = "jieba 0.0 another"
        blob = marshal.dumps(tuple(head))
        path.write_bytes(words._MAGIC + len(blob).to_bytes(8, "big") + blob + data[len(words._MAGIC) + 8 + size:])
    words.pieces.cache_clear()
    tok = words.tokenizer()
    full = pairs["plain"][0]
    assert list(tok.cut("动火安全作业票的作业负责人", HMM=False)) == list(full.cut("动火安全作业票的作业负责人", HMM=False))
    again = path.read_bytes()  # made again, whole
    assert again[:len(words._MAGIC)] == words._MAGIC and len(again) > len(data) * 0.9
    words.Pieces(again, words._key(words._jieba()))


def test_a_cache_path_that_is_a_file_falls_back_to_the_whole_dictionary(cache_home, pairs):
    cache_home.parent.mkdir(parents=True)
    cache_home.write_text("not a directory")  # nothing can be written there, as in a read-only home
    assert words.pieces() is None
    tok = words.tokenizer()
    assert list(tok.cut("动火安全作业票", HMM=False)) == list(pairs["plain"][0].cut("动火安全作业票", HMM=False))


def test_a_new_process_cuts_without_loading_the_whole_dictionary(cache_home):
    words.pieces()  # made here; the child reads it
    code = ("import time; t = time.perf_counter(); from archive.documents.layout import word_bounds; "
            "b = word_bounds('动火安全作业票'); from archive.documents.layout import jieba_for_forms; "
            "print(sorted(b), len(jieba_for_forms().FREQ))")
    r = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "XDG_CACHE_HOME": str(cache_home.parent)}, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    bounds, keys = r.stdout.split("]")
    assert bounds + "]" == "[0, 2, 7]"  # 动火 / 安全作业票 (a word of the forms)
    assert int(keys) < 100_000  # the pieces of its characters, not the whole dictionary (~500,000 keys)
