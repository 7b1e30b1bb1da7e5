#!/usr/bin/env bash
# Install what cable-ocr needs on a Debian/Ubuntu machine, only where it is missing:
# Tesseract with English data, poppler, Python venv support, and a virtualenv (.venv) with the
# package. With --test it also installs what the test suite needs (Chromium for the review UI
# tests, qpdf for encrypted-PDF tests, fonts for rendering test pages, the test extras).
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[[ "${1:-}" == "--test" ]] && with_tests=1

PY=${PYTHON:-python3}
packages=()
command -v tesseract >/dev/null 2>&1 || packages+=(tesseract-ocr)
if ! command -v tesseract >/dev/null 2>&1 || ! tesseract --list-langs 2>/dev/null | grep -x eng >/dev/null; then
    packages+=(tesseract-ocr-eng)
fi
command -v pdftoppm >/dev/null 2>&1 || packages+=(poppler-utils)
"$PY" -c "import ensurepip, venv" >/dev/null 2>&1 || packages+=(python3-venv)
if (( with_tests )); then
    command -v chromium >/dev/null 2>&1 || packages+=(chromium)
    command -v qpdf >/dev/null 2>&1 || packages+=(qpdf)
    fc-list 2>/dev/null | grep "Nimbus Mono PS" >/dev/null || packages+=(fonts-urw-base35)
    fc-list 2>/dev/null | grep "DejaVu Sans" >/dev/null || packages+=(fonts-dejavu-core)
fi

if (( ${#packages[@]} )); then
    echo "setup: installing Debian packages: ${packages[*]}" >&2
    SUDO=""
    [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then
    echo "setup: creating virtualenv .venv" >&2
    "$PY" -m venv .venv
fi
extras="review,batch,formats"
(( with_tests )) && extras="$extras,test"
stamp=".venv/.cable-ocr-installed-$extras"
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    echo "setup: installing cable-ocr[$extras] into .venv" >&2
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e ".[$extras]"
    touch "$stamp"
fi
