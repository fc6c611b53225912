"""Integrity: the owner's signing key (``keys``), seals (``seal``), the Merkle log (``merkle``,
``ledger``), ``verify``, whose keys an archive trusts (``trust``), and exports of seals and
checkpoints for standard tools (``export``).
"""
