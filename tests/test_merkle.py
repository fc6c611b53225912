"""RFC 9162 Merkle proofs: properties for every tree size, and known-answer checks."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.integrity import merkle


def reference_root(leaves):
    """MTH straight from RFC 9162 §2.1.1 (recursive)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return merkle.node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def make(n):
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def test_hashing_prefixes():
    assert merkle.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert merkle.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert merkle.root([]) == hashlib.sha256(b"").digest()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 140))
def test_root_matches_rfc_definition(n):
    leaves = make(n)
    assert merkle.root(leaves) == reference_root(leaves)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 80), st.data())
def test_inclusion_proofs_verify_for_every_size(n, data):
    leaves = make(n)
    root = merkle.root(leaves)
    m = data.draw(st.integers(0, n - 1))
    proof = merkle.inclusion_proof(leaves, m)
    assert merkle.verify_inclusion(leaves[m], m, n, proof, root)
    assert not merkle.verify_inclusion(merkle.leaf_hash(b"forged"), m, n, proof, root)
    if n > 1:
        assert not merkle.verify_inclusion(leaves[m], (m + 1) % n, n, proof, root)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 80), st.data())
def test_consistency_proofs_verify_for_every_pair(n, data):
    leaves = make(n)
    m = data.draw(st.integers(1, n))
    proof = merkle.consistency_proof(leaves, m)
    assert merkle.verify_consistency(m, n, proof, merkle.root(leaves[:m]), merkle.root(leaves))
    if m < n:
        rewritten = list(leaves)
        rewritten[0] = merkle.leaf_hash(b"rewritten")
        assert not merkle.verify_consistency(m, n, proof, merkle.root(rewritten[:m]), merkle.root(leaves))
        assert not merkle.verify_consistency(m, n, proof, merkle.root(leaves[:m]), merkle.root(rewritten))


def test_known_answer_small_tree():
    # three leaves: root = H(1 || H(1 || l0 || l1) || l2)
    l0, l1, l2 = make(3)
    assert merkle.root([l0, l1, l2]) == merkle.node_hash(merkle.node_hash(l0, l1), l2)
    assert merkle.inclusion_proof([l0, l1, l2], 2) == [merkle.node_hash(l0, l1)]
    assert merkle.consistency_proof([l0, l1, l2], 2) == [l2]
