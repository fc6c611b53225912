"""Who may see what: web accounts and roles, sign-in and sessions, the scope of an account, and the
access log (``outsafe user``, ``outsafe audit``, ``outsafe serve``).

    roles.py      the five roles and what each may do (capabilities)
    accounts.py   accounts: Argon2id password hashes, add / list / passwd / disable
    signin.py     sign-in with throttling, sessions (server-side rows, signed cookie tokens), CSRF tokens
    scope.py      the one rule of visibility: what records an account may see (404 for the rest)
    audit.py      the access log: append-only, hash-chained, anchored in the ledger, verified by verify

The rule, in one paragraph: a bureau account (bureau_admin, bureau_officer) sees every record of the
archive; an enterprise account (enterprise_admin, enterprise_officer, enterprise_viewer) sees only
the records that belong to its enterprise — the records naming it as their enterprise
(发包单位) and, for records that name no enterprise (organizations, people, equipment), those its
enterprise sealed (at a bureau, imported records belong to the enterprise named in them). A record
outside the scope is reported exactly like a record that does not exist. What an account may *do*
(export a submission, export evidence, import, read the access log) is its role's capabilities.
Both are decided here; front ends ask, never decide.
"""
