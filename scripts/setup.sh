#!/usr/bin/env bash
# One-shot, idempotent set-up of outsafe on Debian 12 (bookworm):
#   1. the system packages the project needs (LibreOffice for PDF, CJK fonts, poppler, openssl),
#      installed only when missing;
#   2. a virtual environment in .venv with the project and its test dependencies.
# Safe to run again: it only does what is not yet done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3-venv            # venv for Debian's own python3
  python3-uno             # LibreOffice's UNO bridge; the PDF worker runs under /usr/bin/python3
  libreoffice-writer-nogui
  fonts-noto-cjk          # Noto Serif/Sans CJK SC: stand-ins for 宋体/仿宋/小标宋 and 黑体
  fonts-arphic-ukai       # AR PL UKai: stand-in for 楷体
  fonts-liberation2       # metric-compatible Latin faces (Times New Roman, Arial)
  poppler-utils           # pdffonts, pdftotext, pdftoppm: PDF checks and page images
  fontconfig              # fc-list: archive/pdf.py refuses characters no installed font can print
  openssl                 # independent verification of seals and checkpoints
  sqlite3
  faketime                # libfaketime: .ci/run runs the suite a second time with the machine clock elsewhere
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
