"""Chinese words (jieba) without loading jieba's whole dictionary in every process.

Search indexing (archive.search.text) and the layout of documents (archive.documents.layout, the
forms' DSL) cut Chinese text into words with jieba. jieba's tokenizer looks words up in its prefix
dictionary: about 500,000 keys (349,000 words and their prefixes) with their frequencies. Loading it
takes about 1 s in every new process, even from jieba's own cache. That was most of the fixed cost
of a command that renders a document or stores a record; the server pays it once.

Every key a cut looks up starts at a character of the text being cut. So the dictionary is kept on
disk in pieces, one per first character. A tokenizer from :func:`tokenizer` reads the pieces of the
characters of each text before it cuts it, into the same dictionary jieba would hold. A document's
few hundred distinct characters take a few milliseconds. The words are jieba's own: the same
dictionary, the same total, the same code cutting (tests compare the cuts with jieba's on random
text, with the words each user adds).

    tok = tokenizer()                       # a jieba.Tokenizer; add words to it as usual
    tok.add_word("作业票", freq=200000)
    list(tok.cut("动火安全作业票", HMM=False))

The pieces are made once per user from jieba's dictionary file: ``$XDG_CACHE_HOME/outsafe`` (or
``~/.cache/outsafe``; a directory only its user may read), named by jieba's version and the
dictionary file's size and time, written whole and then renamed (two processes making it at once
both write a whole file). A file that cannot be read as pieces of that dictionary is made again.
Where no file can be written, the tokenizer loads the whole dictionary as jieba does.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import tempfile
import threading
import warnings
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

from storage.usercache import cache_dir

FORMAT = 1
_MAGIC = b"outsafe-jieba-pieces\n"


def _jieba() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # jieba 0.42 imports pkg_resources
        import jieba  # lazy: ~100 ms of imports, only where text is cut
    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict …" chatter on stderr
    return jieba


class Pieces:
    """jieba's prefix dictionary in pieces by first character, from one file (module notes)."""

    def __init__(self, data: bytes, key: str) -> None:
        if not data.startswith(_MAGIC):
            raise ValueError("not a file of pieces")
        size = int.from_bytes(data[len(_MAGIC):len(_MAGIC) + 8], "big")
        start = len(_MAGIC) + 8
        head = marshal.loads(data[start:start + size])
        if not (isinstance(head, tuple) and len(head) == 4 and head[0] == FORMAT and head[1] == key
                and isinstance(head[2], int) and isinstance(head[3], dict)):
            raise ValueError("pieces of another dictionary or format")
        self.total: int = head[2]
        self._index: dict[str, tuple[int, int]] = head[3]
        self._data = memoryview(data)[start + size:]
        if self._index and max(o + n for o, n in self._index.values()) > len(self._data):
            raise ValueError("a file of pieces cut short")

    def piece(self, ch: str) -> dict[str, int]:
        """The keys starting with ``ch`` and their frequencies."""
        at = self._index.get(ch)
        if at is None:
            return {}
        got = marshal.loads(self._data[at[0]:at[0] + at[1]])
        if not isinstance(got, dict):
            raise ValueError("a piece that is no dictionary")
        return got

    @staticmethod
    def write(path: Path, freq: dict[str, int], total: int, key: str) -> None:
        """The file of ``freq``'s pieces, written whole then renamed into ``path``."""
        pieces: dict[str, dict[str, int]] = defaultdict(dict)
        for word, f in freq.items():
            if word:
                pieces[word[0]][word] = f
        blobs, index, offset = [], {}, 0
        for ch, piece in pieces.items():
            blob = marshal.dumps(piece)
            index[ch] = (offset, len(blob))
            blobs.append(blob)
            offset += len(blob)
        head = marshal.dumps((FORMAT, key, total, index))
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".pieces-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_MAGIC + len(head).to_bytes(8, "big") + head)
                for blob in blobs:
                    f.write(blob)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _key(jieba: Any) -> str:
    dict_file = Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME  # what Tokenizer().get_dict_file() opens
    st = dict_file.stat()
    return f"jieba {jieba.__version__} {dict_file} {st.st_size} {st.st_mtime_ns}"


_lock = threading.Lock()


@cache
def pieces() -> Pieces | None:
    """The pieces of jieba's dictionary (made on first use), or None where they cannot be kept."""
    jieba = _jieba()
    key = _key(jieba)
    path = cache_dir() / f"jieba-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pieces"
    with _lock:
        try:
            return Pieces(path.read_bytes(), key)
        except (OSError, ValueError, EOFError, TypeError, IndexError):
            pass  # none yet, or not readable as these pieces: made again
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tok = jieba.Tokenizer()
            freq, total = tok.gen_pfdict(tok.get_dict_file())
            Pieces.write(path, freq, total, key)
            return Pieces(path.read_bytes(), key)
        except (OSError, ValueError):
            return None  # a cache directory not writable, a full disk: the whole dictionary each time


def tokenizer() -> Any:
    """A new jieba tokenizer over the dictionary's pieces (the whole dictionary where there are
    none). Words added to it stay its own."""
    jieba = _jieba()
    got = pieces()
    if got is None:
        tok = jieba.Tokenizer()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tok.initialize()
        return tok
    return _piecewise(jieba)(got)


@cache
def _piecewise(jieba: Any) -> type:
    class PiecewiseTokenizer(jieba.Tokenizer):
        """jieba's tokenizer whose dictionary holds the pieces of the characters it has met."""

        def __init__(self, source: Pieces) -> None:
            super().__init__()
            self._source = source
            self._met: set[str] = set()
            self._meet_lock = threading.Lock()
            self.FREQ = {}
            self.total = source.total
            self.initialized = True  # never jieba's whole dictionary

        def _meet(self, text: str) -> None:
            new = set(text) - self._met
            if not new:
                return
            with self._meet_lock:
                for ch in new - self._met:
                    for word, f in self._source.piece(ch).items():
                        self.FREQ.setdefault(word, f)  # a word added to this tokenizer stays as added
                    self._met.add(ch)

        def get_DAG(self, sentence: str) -> dict:
            self._meet(sentence)
            return super().get_DAG(sentence)

        def add_word(self, word: Any, freq: Any = None, tag: Any = None) -> None:
            from jieba._compat import strdecode
            self._meet(strdecode(word))
            super().add_word(word, freq, tag)

        def suggest_freq(self, segment: Any, tune: bool = False) -> int:
            self._meet("".join(segment) if isinstance(segment, tuple) else segment)
            return super().suggest_freq(segment, tune)

    return PiecewiseTokenizer
