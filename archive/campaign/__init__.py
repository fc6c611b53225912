"""The campaign (整治方案) around the checks: the rectification loop (``rectify``), document
numbers (``numbering``), blacklists (``blacklist``), reports (``reports``), the calendar of stages
and deadlines (``calendar``), a contractor's dossier (``dossier``) and Excel rosters (``rosters``).
"""
