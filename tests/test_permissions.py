"""An archive holds personal data and a private key: every folder 0700, every file 0600 — the
search index included — except the public key (0644, meant to be handed out) and the blobs
(0400: content-addressed, never rewritten)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from archive.app import Archive
from archive.search.index import open_index


def test_every_file_of_an_archive_is_private(home, basic_files):
    a = Archive.create(home, basic_files["enterprise"], pdf=False)
    a.add_files([basic_files["contractor"]], pdf=False)
    with open_index(a) as index:
        index.catch_up()
        assert index.search("承包").total >= 0
    a.close()
    loose = []
    for dirpath, dirnames, filenames in os.walk(home):
        for name in dirnames:
            mode = stat.S_IMODE(os.lstat(os.path.join(dirpath, name)).st_mode)
            if mode != 0o700:
                loose.append((os.path.join(dirpath, name), oct(mode)))
        for name in filenames:
            path = os.path.join(dirpath, name)
            mode = stat.S_IMODE(os.lstat(path).st_mode)
            expected = 0o400 if "blobs" in Path(path).parts else 0o644 if name == "owner.pub.pem" else 0o600
            if mode != expected:
                loose.append((path, oct(mode)))
    assert sorted(loose) == []
    index_files = [f for _, _, fs in os.walk(home / "index") for f in fs]
    assert len(index_files) > 3
