"""Forms: every record type filled in the browser instead of written as YAML.

    model.py     a form per record type, read from its schema (labels, help, choices, lists, pickers)
    fields.py    posted fields → case file, case file → what each field shows (身份证号 masked and put back)
    drafts.py    drafts per account (storage.interfaces.DraftStore): save, images, validate (``case
                 validate``), preview (``case render``), add (``case add`` / ``org add`` …), YAML in and out
    pickers.py   the registered organizations, projects and people a form offers

A draft never enters the catalog until it is added; then it is sealed exactly as the same case
file given to ``outsafe case add`` would be, and the draft is deleted.
"""
