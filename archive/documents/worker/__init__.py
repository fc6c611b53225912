"""Scripts that run outside the project's interpreter (package data, never imported by outsafe).

``uno_worker.py`` drives one headless LibreOffice over UNO and runs under Debian's
``/usr/bin/python3``, the only interpreter python3-uno is built for. ``archive/pdf.py`` starts it.
"""
