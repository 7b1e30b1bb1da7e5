#!/usr/bin/env bash
# Set up (if needed) and transcribe the bundled sample cable MOSCOW 04648 from its scans.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
out=${1:-out/moscow-04648}
.venv/bin/cable-ocr transcribe samples/moscow-04648/scans/moscow-04648.pdf --out "$out"
echo
echo "Outputs are in $out/: transcript.txt (the merged cable), transcript.json (header fields,"
echo "paragraphs, metadata, warnings) and words.csv (every word with its confidence and correction)."
