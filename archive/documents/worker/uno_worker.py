"""One PDF worker: drives ONE headless LibreOffice over UNO. Runs under Debian's /usr/bin/python3.

python3-uno exists only for the system interpreter, so this file is not imported by the project;
``archive/pdf.py`` starts it as a subprocess next to the soffice it drives and talks to it over
stdin/stdout, one JSON object per line:

    worker → parent   {"ready": true, "version": "7.4.7.2"}        once connected to soffice
                      {"ready": false, "error": "..."}              could not connect in time
    parent → worker   {"id": 3, "in": "/tmp/…/in.docx", "out": "/tmp/…/out.pdf"}
    worker → parent   {"id": 3, "ok": true, "seconds": 0.41}
                      {"id": 3, "ok": false, "error": "...", "fatal": false}

``fatal`` means the connection to soffice is gone (it crashed or was killed): the parent restarts
the pair. The worker never starts or kills soffice itself — the parent owns both processes, so a
hung conversion is ended by killing them from outside. Only the standard library and ``uno``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback

import uno  # python3-uno: Debian's /usr/bin/python3 only
from com.sun.star.beans import PropertyValue

#: writer_pdf_Export FilterData. SelectPdfVersion 2 = PDF/A-2b (1 = PDF/A-1b, 3 = PDF/A-3b);
#: PDF/A makes LibreOffice embed (subsets of) every font it uses. Tagged: the structure tree
#: (paragraphs, table rows, heading rows) is what the layout check (archive/documents/layout.py)
#: reads to find a table row split across pages; headers, footers and repeated heading rows are
#: artifacts.
PDF_FILTER_DATA = {
    "SelectPdfVersion": 2,
    "UseTaggedPDF": True,
    "ExportBookmarks": True,
    "ExportNotes": False,
    "ReduceImageResolution": False,
    "Quality": 90,
}


def _props(**values) -> tuple:
    out = []
    for name, value in values.items():
        p = PropertyValue()
        p.Name = name
        p.Value = value
        out.append(p)
    return tuple(out)


def _filter_data() -> "uno.Any":
    return uno.Any("[]com.sun.star.beans.PropertyValue", _props(**PDF_FILTER_DATA))


class Bridge:
    def __init__(self, pipe: str) -> None:
        self.pipe = pipe
        self.ctx = None
        self.desktop = None

    def connect(self, timeout: float) -> str:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                self.ctx = resolver.resolve(f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext")
                break
            except Exception as e:  # NoConnectException until soffice listens
                last = e
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no connection to soffice on pipe {self.pipe} after {timeout:.0f}s: {last}")
                time.sleep(0.05)
        smgr = self.ctx.ServiceManager
        self.desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)
        try:
            cp = smgr.createInstanceWithContext("com.sun.star.configuration.ConfigurationProvider", self.ctx)
            node = cp.createInstanceWithArguments(
                "com.sun.star.configuration.ConfigurationAccess",
                _props(nodepath="/org.openoffice.Setup/Product"),
            )
            return str(node.getByName("ooSetupVersionAboutBox"))
        except Exception:
            return ""

    def convert(self, src: str, dst: str) -> None:
        doc = self.desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(src),
            "_blank",
            0,
            _props(
                Hidden=True,
                ReadOnly=True,
                FilterName="MS Word 2007 XML",
                MacroExecutionMode=0,  # NEVER_EXECUTE
                UpdateDocMode=0,  # NO_UPDATE (no links fetched)
            ),
        )
        if doc is None:
            raise ValueError("LibreOffice could not load the document (not a valid .docx?)")
        try:
            doc.storeToURL(
                uno.systemPathToFileUrl(dst),
                _props(FilterName="writer_pdf_Export", FilterData=_filter_data()),
            )
        finally:
            try:
                doc.close(True)
            except Exception:
                try:
                    doc.dispose()
                except Exception:
                    pass  # the bridge is gone; the caller sees the first error


def _is_fatal(exc: BaseException) -> bool:
    """True when the bridge to soffice is gone (crash, kill): the pair must be restarted."""
    name = type(exc).__name__
    text = str(exc)
    return name in ("DisposedException", "RuntimeException") or "Binary URP bridge" in text or "disposed" in text


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pipe", required=True)
    ap.add_argument("--connect-timeout", type=float, default=60.0)
    ap.add_argument("--workdir", help="the worker's folder (also marks the process as the pool's)")
    args = ap.parse_args(argv)
    if args.workdir:
        os.chdir(args.workdir)

    # Our protocol owns fd 1; anything else that prints (UNO, LibreOffice) goes to stderr.
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(obj: dict) -> None:
        proto.write(json.dumps(obj, ensure_ascii=False) + "\n")
        proto.flush()

    bridge = Bridge(args.pipe)
    try:
        version = bridge.connect(args.connect_timeout)
    except Exception as e:
        send({"ready": False, "error": f"{type(e).__name__}: {e}"})
        return 2
    send({"ready": True, "version": version})

    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        job = json.loads(line)
        if job.get("cmd") == "quit":
            try:
                bridge.desktop.terminate()  # soffice exits and removes its pipes in /tmp
            except Exception:
                pass  # the bridge goes away as soffice exits
            break
        t0 = time.monotonic()
        try:
            bridge.convert(job["in"], job["out"])
        except Exception as e:
            fatal = _is_fatal(e)
            traceback.print_exc(file=sys.stderr)
            send({"id": job["id"], "ok": False, "error": f"{type(e).__name__}: {e}", "fatal": fatal})
            if fatal:
                return 3
            continue
        send({"id": job["id"], "ok": True, "seconds": round(time.monotonic() - t0, 4)})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
