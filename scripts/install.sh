#!/usr/bin/env bash
# Install what is missing on a fresh Debian 12 machine: Debian packages, the virtualenv, Python
# packages. Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
DEBIAN_PACKAGES=(libreoffice-writer-nogui fonts-liberation2 python3-uno chromium softhsm2 poppler-utils gettext
  tesseract-ocr tesseract-ocr-vie)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  echo "Creating the virtualenv in .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ agent/pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[dev]"
  # The signing agent (agent/) is its own package; installed here for its tests and the
  # import layering check. A signer installs it on their computer with `pip install ./agent`.
  .venv/bin/pip install -q -e ./agent
  touch "$stamp"
fi
