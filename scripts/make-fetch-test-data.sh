#!/bin/sh
# Regenerates the brotli-encoded body the fetcher tests serve (org.brotli:dec only decodes).
# Needs Debian's `brotli` package (apt-get install brotli). Run from the project root.
set -eu
dir=reader/src/test/resources/fetch
brotli --force --quality=11 --output="$dir/page.html.br" "$dir/page.html"
