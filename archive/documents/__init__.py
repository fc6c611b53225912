"""Documents from records: template lookup (``templates``), the render context (``context``),
the Jinja filters and sandbox (``filters``), rendering a .docx (``render``), the template lint
(``lint``), PDF through kept-running LibreOffice (``convert``, with ``worker/``) and the checks
every PDF passes (``pdfcheck``).
"""
