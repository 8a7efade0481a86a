#!/usr/bin/env bash
# Regenerates the PDF golden fixtures in reader/src/test/resources/pdf/ from their sources in src/:
# *.html is printed by headless Chromium, *.fodt is converted by LibreOffice Writer. The tests never run
# this; they read the committed PDFs. After regenerating, compare each PDF's Markdown with its .md and
# update the .md only where the source changed.
#
# Needs: chromium, soffice (Debian: chromium libreoffice-writer-nogui fonts-noto-cjk).
set -euo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/reader/src/test/resources/pdf"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for html in "$dir"/src/*.html; do
  name="$(basename "$html" .html)"
  chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
    --user-data-dir="$work/profile" --print-to-pdf="$dir/$name.pdf" "file://$html" 2>/dev/null
  echo "chromium: $name.pdf"
done

for fodt in "$dir"/src/*.fodt; do
  name="$(basename "$fodt" .fodt)"
  soffice -env:UserInstallation="file://$work/lo" --headless --convert-to pdf --outdir "$work" "$fodt" >/dev/null
  mv "$work/$name.pdf" "$dir/$name.pdf"
  echo "libreoffice: $name.pdf"
done
