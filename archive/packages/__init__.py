"""Packages: what leaves an archive, verifiable offline by anyone (issue 6, DESIGN.md "Packages").

One format for submissions to the bureau (报送包) and evidence for penalty cases (证据包,
:mod:`archive.packages.evidence`): a BagIt bag (RFC 8493, ``BagIt-Version: 1.0``, SHA-256 manifests;
written and validated by :mod:`archive.packages.bag`, checked by bagit-python's validator in the tests and
in 核验说明.txt), signed, with everything needed to check it and nothing that needs outsafe::

    <bag>/
      bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
      tagmanifest-sha256.txt.sig        Ed25519 over tagmanifest-sha256.txt (outside the tag manifest)
      核验说明.txt                       how to verify, with the exact commands (Chinese)
      verify_proofs.py                  stdlib-only checker of the Merkle proofs and seals
      index.json                        what is inside (身份证号 masked)
      data/
        records/<origin USCC>/<record id>/
          record.json                   the catalog row: id, type, title, dates, parties, data, refs …
          seal.json  seal.sig           the seal statement exactly as stored, and its raw signature
          proof.json                    inclusion proof of the record's ledger leaf
          files/<role>-<name>           source YAML, .docx, .pdf, photos (NFC, safe names)
        keys/<USCC>.pub.pem             the signer's and every origin's public key
        checkpoints/<USCC>/<size>/      checkpoint.txt (signed note) + .body + .sig for openssl,
                                        cosignature-<witness USCC>.sig for checkpoints witnessed
        ledger/<USCC>/leaf-hashes.txt   the signer's ledger leaf hashes up to its checkpoint

Decisions (also in 核验说明.txt):

* **身份证号 travel in clear inside the signed payload, and nowhere else.** A seal signs the record's
  data byte for byte, so a masked copy could not be verified; the bureau also needs the numbers to
  find people (it re-keys them with its own secret on import). So record.json, seal.json and the
  documents carry them as sealed. Everything human-facing that is not signed evidence — index.json,
  file and folder names, bag-info.txt, 核验说明.txt, command output — masks them. A package is
  therefore personal information (个人信息保护法): it is written 0700, and handed over like the
  paper files it replaces.
* **Trust** (:mod:`archive.integrity.trust`): verifying a package proves it is intact and was signed by the
  key inside it; *whose* key that is, is decided on import against keys the importing archive
  registered itself. A package never vouches for a key.
* **History** — the signer's checkpoint and its ledger's leaf hashes travel together. On import the
  bureau checks every checkpoint it witnessed earlier from the same origin is a prefix of the new
  one (root of the first N leaves, and an RFC 9162 consistency proof, kept in its own ledger); the
  leaf hashes are kept as a blob so a later, shorter package can be checked too. A rewritten
  history is refused.
* **Import** ingests records with their original seals (never re-sealed), their files, and their
  inclusion proofs; cosigns the origin's checkpoint (Ed25519 over the checkpoint body, with the
  importer's key); logs ``package_imported`` and ``checkpoint_witnessed`` in its own ledger. It
  writes nothing unless the whole package verifies and every check passes; the same package twice
  changes nothing.
* **Path safety first**: a package (folder or zip) with ``..``, an absolute path, a symbolic link,
  a device or FIFO, or two names equal after NFC normalisation is refused before anything is read
  into an archive or extracted.

Where things are: ``common`` (results, names and JSON helpers every part shares), ``paths`` (path
and zip safety, opening a package), ``bag`` (BagIt writing and reading), ``export`` (selecting
records and writing a submission package), ``guide`` (核验说明.txt), ``verify`` (checking a
package), ``importer`` (ingesting one), ``evidence`` (evidence packages for penalty cases),
``verify_script`` (the stdlib-only verify_proofs.py shipped in every package).
"""
