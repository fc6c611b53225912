"""Durable state: the archive home, the SQLite catalog, the content-addressed blob store, the lock.

Knows nothing about documents; the engine in ``archive/`` builds on it.
"""
