"""Chinese text analysis and the query language, shared by both search engines.

Both engines index the *same* token strings made here, so they match the same documents:

``bg`` — per run of CJK characters, one token per character: the character and the next one (a
    bigram), and the last character alone, twice; plus one token per Latin/digit word. Positions
    are the token order. ``"动火。作业"`` → ``动火 火 火 作业 业 业``.
    So a string of n ≥ 2 CJK characters occurs in a document exactly when its bigrams occur at
    consecutive positions (a phrase), and punctuation ends a run, so nothing matches across it.
    The doubled last character leaves a gap after every run, which makes every *other* bigram
    enough to prove a phrase (a bigram two positions on can only continue the same run): a
    query of n characters costs about n/2 posting lists, not n-1. A 1-character query is a
    prefix query (every occurrence of a character starts a token).
``w`` — jieba words (precise mode, the domain dictionary ``archive/search/data/user_dict.txt``) of two
    or more characters, without positions: they rank documents where the query is a whole word
    above those where it is part of another word; bigrams alone decide whether a document matches.

Text is NFKC-normalised (for the characters that make tokens) and lower-cased first (全角
``１２号`` = ``12号``).

Queries: words are ANDed; ``OR``, ``AND``, ``NOT`` / ``-word``, ``( )``, ``"quoted phrases"`` (also
“…”), ``field:value`` for keyword fields (``type:`` ``ticket_type:`` ``grade:`` ``status:`` ``tag:``
``name:`` ``doc_no:`` ``project:`` ``contractor:`` ``enterprise:`` ``id:``). A word is a phrase of
its own characters, so ``受限空间作业`` never matches ``受限空间`` … ``作业`` far apart. AND binds
tighter than OR. Synonyms (``archive/search/data/synonyms.txt``) are expanded at query time.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from operator import add

# --- tokens --------------------------------------------------------------------------------------

CJK_CHARS = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
WORD_CHARS = "0-9a-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
TOKEN_RE = re.compile(f"([{CJK_CHARS}]+)|([{WORD_CHARS}]+)")


def _foldable() -> re.Pattern:
    """The characters whose NFKC form holds token characters (全角 letters and digits, Roman
    numerals, circled numbers, CJK compatibility ideographs …); punctuation is left alone."""
    blocks = ((0x00A0, 0x0100), (0x2070, 0x20A0), (0x2100, 0x2190), (0x2460, 0x2500), (0x2E80, 0x2FE0), (0x3000, 0x3001),
              (0x3200, 0x3400), (0xF900, 0xFB50), (0xFF00, 0xFFF0), (0x1D400, 0x1D800), (0x1F100, 0x1F200), (0x2F800, 0x2FA20))
    token = re.compile(f"[{CJK_CHARS}{WORD_CHARS}]")
    ranges: list[list[int]] = []
    for lo, hi in blocks:
        for cp in range(lo, hi):
            c = chr(cp)
            n = unicodedata.normalize("NFKC", c)
            if n != c and token.search(n.lower()):
                if ranges and ranges[-1][1] == cp - 1:
                    ranges[-1][1] = cp
                else:
                    ranges.append([cp, cp])
    return re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]")


_FOLDABLE = _foldable()


def _nfkc(m: re.Match) -> str:
    return unicodedata.normalize("NFKC", m.group(0))


def normalize(text: str) -> str:
    """NFKC for the characters that make tokens, then lower case (fast: most text needs none)."""
    return _FOLDABLE.sub(_nfkc, text).lower()


def analyse(text: str) -> tuple[str, str]:
    """``(bg, w)``: the two token strings of ``text``, each space-separated."""
    bg: list[str] = []
    w: list[str] = []
    for run, word in TOKEN_RE.findall(normalize(text)):
        if not run:
            bg.append(word)
        elif len(run) == 1:
            bg.append(run + " " + run)
        else:
            b, ws = _run(run)
            bg.append(b)
            if ws:
                w.append(ws)
    return " ".join(bg), " ".join(w)


@lru_cache(maxsize=1 << 18)
def _run(run: str) -> tuple[str, str]:
    """A CJK run's bigram tokens and jieba words. Runs repeat a lot between documents (measures,
    duties, labels, boilerplate opinions), so both are cached."""
    words = [x for x in _jieba().cut(run, HMM=False) if len(x) >= 2]
    return " ".join(map(add, run, run[1:])) + " " + run[-1] + " " + run[-1], " ".join(words)


def bigram_tokens(text: str) -> list[str]:
    """The ``bg`` tokens of ``text`` (see the module docstring)."""
    return analyse(text)[0].split()


def bigram_string(text: str) -> str:
    return analyse(text)[0]


# --- jieba ------------------------------------------------------------------------------------------


@cache
def _jieba():
    """A jieba tokenizer with the domain dictionary, made once per process (archive.search.words: jieba's
    dictionary read in pieces, only those of the characters met)."""
    from archive.search.words import tokenizer  # lazy: jieba only when text is analysed

    tok = tokenizer()
    with resources.as_file(resources.files("archive.search") / "data" / "user_dict.txt") as path:
        with open(path, "rb") as f:  # jieba leaves a file it opens itself open
            tok.load_userdict(f)
    return tok


def word_tokens(text: str) -> list[str]:
    """jieba words (≥ 2 characters) of every CJK run of ``text``. Runs repeat a lot between
    documents (measures, duties, labels), so each run's words are cached."""
    return analyse(text)[1].split()


def word_string(text: str) -> str:
    return analyse(text)[1]


# --- synonyms --------------------------------------------------------------------------------------


@cache
def synonym_groups() -> tuple[tuple[str, ...], ...]:
    text = (resources.files("archive.search") / "data" / "synonyms.txt").read_text(encoding="utf-8")
    groups = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            groups.append(tuple(normalize(w) for w in line.split()))
    return tuple(groups)


def variants(term: str, limit: int = 8) -> list[str]:
    """``term`` and its synonym variants: 有限空间作业 → [有限空间作业, 受限空间作业]."""
    out = [term]
    for group in synonym_groups():
        for t in list(out):
            for member in group:
                if member in t:
                    for other in group:
                        v = t.replace(member, other)
                        if v not in out and len(out) < limit:
                            out.append(v)
    return out


# --- the query language -----------------------------------------------------------------------------

KEYWORD_FIELDS = {
    "type": "type", "ticket_type": "ticket_type", "grade": "grade", "status": "status", "tag": "tags",
    "name": "names", "doc_no": "doc_no", "project": "project", "contractor": "contractor",
    "enterprise": "enterprise", "id": "id",
}


# --- patterns: what a Text leaf asks of the bg field ------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    """``bg`` tokens at fixed offsets from each other: ``slots`` = (offset, token, is_prefix); a
    document matches when every slot's token is at its offset from one common start. ``words``
    are the whole CJK runs of the term (looked up in ``w`` to rank whole-word matches higher)."""

    slots: tuple[tuple[int, str, bool], ...]
    words: tuple[str, ...]
    text: str

    @property
    def single(self) -> bool:
        return len(self.slots) == 1


def pattern(term: str) -> Pattern | None:
    """The pattern matching every document that contains ``term`` (None: no searchable characters)."""
    segments = [(m.group(1), m.group(2)) for m in TOKEN_RE.finditer(normalize(term))]
    slots: list[tuple[int, str, bool]] = []
    words: list[str] = []
    at = 0
    for i, (run, word) in enumerate(segments):
        last = i == len(segments) - 1
        if word:
            slots.append((at, word, False))
            at += 1
            continue
        words.append(run)
        if len(run) == 1:
            # last (after a Latin word, or alone): any token starting with it; otherwise the run
            # is exactly this character, which is its own (doubled) last token
            slots.append((at, run, last))
            at += 2
            continue
        bigrams = len(run) - 1
        for k in sorted(set(range(0, bigrams, 2)) | {bigrams - 1}):  # every other bigram, and the last
            slots.append((at + k, run[k:k + 2], False))
        if not last:
            slots.append((at + bigrams, run[-1], False))  # the run ends here in the document too
        at += len(run) + 1
    if not slots:
        return None
    return Pattern(tuple(slots), tuple(words), term)


def highlight_regex(terms: list[str]) -> re.Pattern | None:
    """A regex finding any of ``terms`` in normalised text, tolerant of the punctuation between
    Latin/digit words that the tokens ignore."""
    alts = []
    for t in terms:
        segs = [m.group(0) for m in TOKEN_RE.finditer(normalize(t))]
        if segs:
            alts.append(f"[^{CJK_CHARS}{WORD_CHARS}]*".join(re.escape(s) for s in segs))
    if not alts:
        return None
    alts.sort(key=len, reverse=True)
    return re.compile("|".join(alts))


@lru_cache(maxsize=4096)
def _fold(c: str) -> str:
    n = normalize(c)
    return n if len(n) == 1 else c


def snippet(text: str, terms: list[str], width: int = 90, mark: tuple[str, str] = ("«", "»")) -> str:
    """The part of ``text`` with the most matches of ``terms``, matches wrapped in ``mark``."""
    display = " ".join(text.split())
    low = normalize(display)
    if len(low) != len(display):  # offsets must carry over: fold character by character
        low = "".join(_fold(c) for c in display)
    rx = highlight_regex(terms)
    spans = [m.span() for m in rx.finditer(low)] if rx else []
    spans = [s for s in spans if s[1] > s[0]]
    if not spans:
        return display[:width] + ("…" if len(display) > width else "")
    # the window of `width` characters holding the most match starts
    best, best_n, j = spans[0][0], 0, 0
    for i, (a, _) in enumerate(spans):
        while spans[j][0] < a - width + 10:
            j += 1
        n = i - j + 1
        if n > best_n:
            best, best_n = spans[j][0], n
    start = max(0, best - 12)
    end = min(len(display), start + width)
    start = max(0, min(start, end - width))
    out, cur = [], start
    for a, b in spans:
        if b <= start or a >= end:
            continue
        a, b = max(a, start), min(b, end)
        if a < cur:
            continue
        out += [display[cur:a], mark[0], display[a:b], mark[1]]
        cur = b
    out.append(display[cur:end])
    return ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(display) else "")
