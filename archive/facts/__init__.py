"""The facts the views read: derived once from each sealed record, kept in indexed catalog tables,
so that a check, a status, a dossier or a report reads only the records it shows.

    derive.py    the facts and links of one record, from its sealed data (and their vocabulary)
    index.py     keeping them in step: with each stored record, catch-up by seq, rebuild
    records.py   sealed records as objects (no validators), cached by record id
    lint.py      what today's rules say of sealed records (``outsafe verify --lint``)
    cache.py     results of the views, kept until a record they depend on arrives

The facts live behind :class:`storage.interfaces.FactStore` (``catalog.facts``). Like the search
index they are a cache: ``outsafe facts rebuild`` derives them again from the sealed records.
"""
