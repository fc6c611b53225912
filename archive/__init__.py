"""The engine, by noun of the domain (DESIGN.md "The house"):

    app          the facade both front ends call (Archive: open, add, validate, show, list …)
    clock        the one clock; errors the one exception tree; settings the numbers the law leaves open
    documents/   templates, render context and filters, rendering, template lint, LibreOffice pool,
                 PDF and layout checks
    integrity/   keys, seals, the Merkle ledger, verify, trust, seal/checkpoint export
    packages/    BagIt packages: export, verify, import, evidence packages, path and zip safety
    search/      the search seam, query language, Chinese text analysis, Whoosh and tantivy engines
    checks/      the campaign's rules (五查 E1–E5 / C1–C5, 令第10号 items) and the admission rules
    campaign/    rectification loop, numbering, blacklists, reports, calendar, dossier, rosters
    tickets/     the 作业票 at the work face: its life cycle signed step by step on a phone
    access/      web accounts, roles, sign-in and sessions, scope, the access log

Layers point one way: front ends → archive.app → these sub-packages → schemas/ → storage/
(tests/test_layout.py). Import the submodules you need; this package imports nothing on its own.
"""
