"""Full-text search behind one seam (``index``): the query language (``query``), Chinese text
analysis (``text``), what the index holds for a record (``documents``), and two engines
(``whoosh_engine``, ``tantivy_engine``).
"""
