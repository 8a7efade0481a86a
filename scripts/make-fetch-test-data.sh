#!/bin/sh
# Regenerates the brotli-encoded bodies the fetcher tests serve (org.brotli:dec only decodes).
# Needs Debian's `brotli` package (apt-get install brotli). Run from the project root.
set -eu
dir=reader/src/test/resources/fetch
brotli --force --quality=11 --output="$dir/page.html.br" "$dir/page.html"
# A brotli bomb: 256 MiB of zeros in about 200 bytes, for the reader's bomb tests.
head -c $((256 * 1024 * 1024)) /dev/zero | brotli --quality=11 --lgwin=24 --stdout > "$dir/bomb-256MiB.br"
