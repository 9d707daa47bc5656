#!/usr/bin/env bash
# What partner documents need from the distribution (issue 17): DejaVu fonts, which WeasyPrint
# finds through fontconfig (a Cyrillic face; no font is downloaded at render time), and
# poppler-utils (pdftotext, pdftoppm), which the documents tests read and picture PDFs with.
# Installs the missing ones with apt; needs root for that (like tools/chromium.sh).
set -euo pipefail
need=()
fc-list 2>/dev/null | grep -q "DejaVuSans.ttf" || need+=(fonts-dejavu-core fontconfig)
command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "documents need: ${need[*]}: run 'apt-get install ${need[*]}' as root" >&2
  exit 1
fi
printf '\033[1m[setup]\033[0m %s\n' "fonts and PDF tools (apt): ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fc-list | grep -q "DejaVuSans.ttf" || { echo "DejaVu fonts did not install" >&2; exit 1; }
command -v pdftotext >/dev/null || { echo "poppler-utils did not install" >&2; exit 1; }
