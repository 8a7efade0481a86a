package dev.plinth.server;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.IOException;
import java.util.EnumSet;
import org.eclipse.jetty.servlet.FilterHolder;
import org.eclipse.jetty.servlet.ServletContextHandler;

/**
 * The request-body cap, for every route and however the body is sent. A declared length over the
 * cap is refused before routing; a chunked body carries no length, so every request's body stream
 * is wrapped here, below all routes, and reading past the cap fails with 413 at the byte that
 * crosses it. No handler can forget the cap, and none buffers more than it.
 */
final class BodyCap implements Filter {

    private final long max;

    private BodyCap(long max) {
        this.max = max;
    }

    /** Caps every request body of {@code context} at {@code max} bytes. */
    static void install(ServletContextHandler context, long max) {
        context.addFilter(
                new FilterHolder(new BodyCap(max)), "/*", EnumSet.of(DispatcherType.REQUEST));
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        chain.doFilter(
                new HttpServletRequestWrapper((HttpServletRequest) request) {
                    private ServletInputStream capped;

                    @Override
                    public ServletInputStream getInputStream() throws IOException {
                        if (capped == null) {
                            capped = new Capped(super.getInputStream(), max);
                        }
                        return capped;
                    }
                },
                response);
    }

    /** A body stream that refuses to go past {@code max} bytes. */
    private static final class Capped extends ServletInputStream {
        private final ServletInputStream in;
        private final long max;
        private long read;

        Capped(ServletInputStream in, long max) {
            this.in = in;
            this.max = max;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, (int) Math.min(length, max - read + 1));
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) {
            read += n;
            if (read > max) {
                throw ApiException.tooLarge("the request body is over the " + max + "-byte limit");
            }
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
