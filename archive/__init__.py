"""The engine: pipeline, render, pdf, seal, ledger, search, packages, checks, reports.

Import the submodules you need; this package imports nothing heavy on its own.
"""
