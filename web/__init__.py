"""``outsafe serve``: the archive in a browser — the second front end (DESIGN.md "Layout").

    server.py    create_app(home) (Starlette) and run() (uvicorn)
    app.py       WebApp: per-thread archive connections, the guard (session, capability, CSRF),
                 error pages, security headers
    views.py     the pages and their JSON twins (thin: parameters → library call → template)
    jobs.py      packages built and imported in the background, with progress
    uploads.py   uploads streamed to the archive's tmp/ (size-limited, CSRF checked first)
    forms.py     the forms (填表): drafts, validate, preview, add; YAML out and in; Excel rosters
                 (its own routes and body reader: multipart, many fields, images)
    render.py    Jinja2 (autoescape) and the JSON encoder
    templates/   the pages (Chinese); static/ the CSS and one small script (no CDN, no build step)

Routes (each page also at ``/api/…`` as JSON, same permissions; ``/`` is ``/api/dashboard``):

    GET  /login  POST /login  POST /logout          sign-in (username, password), sign-out
    GET  /                                          dashboard
    GET  /search?q=&contractor=&enterprise=&type=&ticket_type=&since=&until=&page=&all=
    GET  /contractors   /contractors/{USCC}         contractors; one contractor's dossier
    GET  /records/{id}                              a record: data, documents, seal, history, ledger proof
    GET  /records/{id}/files/{pdf|docx|sha256}      a document (inline PDF; ?download=1)
    GET  /checks  /rectification  /blacklist        五查 results, rectification items, blacklists
    GET  /exports  POST /exports/submission  POST /exports/evidence      packages, built as jobs
    GET  /imports  POST /imports                    upload a submission package (bureau)
    GET  /jobs/{id}  /jobs/{id}/download            a job's progress and its file
    GET  /audit                                     the access log (admins)
    GET  /forms  /forms/new/{key}  /drafts/{id} …   forms, drafts, YAML, rosters: see web/forms.py
    GET  /api/me                                    the signed-in account

The permission rule is archive.access's (see its docstring); this package only asks.
"""
