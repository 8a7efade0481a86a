#!/usr/bin/env bash
# Regenerates the TLS key the fetch tests serve loopback HTTPS (and HTTPS-proxy) endpoints with:
# one self-signed certificate for localhost, public.example, proxy.example and 127.0.0.1, valid for
# a century, in a PKCS#12 store whose password is "changeit". Tests that should succeed trust it
# explicitly; tests of a bad certificate use the JDK's default trust, which does not know it.
# Needs only the JDK's keytool. Run from the project root.
set -euo pipefail
out=reader/src/test/resources/fetch/tls/localhost.p12
mkdir -p "$(dirname "$out")"
rm -f "$out"
keytool -genkeypair -keystore "$out" -storetype PKCS12 -storepass changeit -keypass changeit \
  -alias localhost -keyalg EC -groupname secp256r1 -sigalg SHA256withECDSA -validity 36500 \
  -dname "CN=localhost, O=plinth tests" \
  -ext "SAN=dns:localhost,dns:public.example,dns:proxy.example,ip:127.0.0.1"
