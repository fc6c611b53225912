#!/usr/bin/env bash
# One-shot, idempotent set-up of outsafe on Debian 12 (bookworm):
#   1. the system packages the project needs (LibreOffice for PDF, CJK fonts, poppler, openssl,
#      chromium for the browser tests), installed only when missing;
#   2. a virtual environment in .venv with the project and its test dependencies.
# Safe to run again: it only does what is not yet done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3-venv            # venv for Debian's own python3
  python3-uno             # LibreOffice's UNO bridge; the PDF worker runs under /usr/bin/python3
  libreoffice-writer-nogui
  fonts-noto-cjk          # Noto Serif/Sans CJK SC: stand-ins for 宋体, 小标宋 (bold) and 黑体; rare-character fallback
  fonts-arphic-ukai       # AR PL UKai: stand-in for 楷体
  fonts-liberation2       # metric-compatible Latin faces (Times New Roman, Arial)
  poppler-utils           # pdffonts, pdftotext, pdftoppm: PDF checks and page images
  fontconfig              # fc-list: archive/pdf.py refuses characters no installed font can print
  openssl                 # independent verification of seals and checkpoints
  sqlite3
  faketime                # libfaketime: .ci/run runs the suite a second time with the machine clock elsewhere
  chromium                # the browser suite (tests/browser): Playwright drives Debian's chromium (its own download cannot work here)
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The Fandol faces (GB/T 9704 body 仿宋 = FandolFang; see doc_templates/FONTS.md). Debian ships them
# only inside texlive-lang-chinese (~49 MB); TeX is not installed: the .deb is downloaded, the .otf
# files are taken out of it with dpkg-deb into /usr/local/share/fonts/outsafe, and fontconfig is told.
FONT_DIR=/usr/local/share/fonts/outsafe
FANDOL=(FandolFang-Regular FandolSong-Regular FandolSong-Bold FandolHei-Regular FandolHei-Bold FandolKai-Regular)
FONTCONF=/etc/fonts/conf.d/65-outsafe-fangsong.conf
fonts_missing=0
for f in "${FANDOL[@]}"; do [ -f "$FONT_DIR/$f.otf" ] || fonts_missing=1; done
if [ $fonts_missing -eq 1 ] || ! cmp -s scripts/fonts/65-outsafe-fangsong.conf "$FONTCONF"; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if [ $fonts_missing -eq 1 ]; then
    echo "setup: installing the Fandol fonts (FandolFang for 仿宋) from Debian's texlive-lang-chinese" >&2
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && apt-get download -q texlive-lang-chinese >/dev/null 2>&1) \
      || { $SUDO apt-get update -q && (cd "$work" && apt-get download -q texlive-lang-chinese); }
    dpkg-deb --fsys-tarfile "$work"/texlive-lang-chinese_*.deb \
      | tar -x -C "$work" --wildcards '*/fonts/opentype/public/fandol/*.otf'
    $SUDO mkdir -p "$FONT_DIR"
    for f in "${FANDOL[@]}"; do
      $SUDO install -m 0644 "$work"/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol/"$f".otf "$FONT_DIR/"
    done
    rm -rf "$work"
    trap - EXIT
  fi
  $SUDO install -m 0644 scripts/fonts/65-outsafe-fangsong.conf "$FONTCONF"
  $SUDO fc-cache -f "$FONT_DIR" >/dev/null
  fc-list | grep -q "FandolFang" || { echo "setup: FandolFang is not visible to fontconfig" >&2; exit 1; }
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)" >&2
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.outsafe-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  touch "$stamp"
fi
echo "setup: ready (.venv/bin/outsafe)" >&2
