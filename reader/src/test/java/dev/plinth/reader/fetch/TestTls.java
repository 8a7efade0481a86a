package dev.plinth.reader.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS for loopback test servers: one self-signed certificate for localhost, public.example,
 * proxy.example and 127.0.0.1 ({@code scripts/make-tls-test-keys.sh}). {@link #server()} serves it;
 * {@link #trusting()} is a client context that trusts it and nothing else, so a test that should
 * succeed over TLS must use it, and one that uses the JDK's default trust meets a bad certificate.
 */
final class TestTls {

    private static final char[] PASSWORD = "changeit".toCharArray();

    private TestTls() {}

    /** A server context presenting the test certificate. */
    static SSLContext server() {
        try {
            KeyManagerFactory keys =
                    KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store(), PASSWORD);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client context that trusts the test certificate only. */
    static SSLContext trusting() {
        try {
            TrustManagerFactory trust =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyStore store() throws GeneralSecurityException {
        try (InputStream in = TestTls.class.getResourceAsStream("/fetch/tls/localhost.p12")) {
            if (in == null) {
                throw new IllegalStateException("missing test resource /fetch/tls/localhost.p12");
            }
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, PASSWORD);
            return store;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
