package dev.plinth.server;

import io.javalin.http.Context;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.HttpConnection;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops a request's work when its client goes away. Jetty reads nothing from a connection while its
 * request is being handled, so a client that hangs up mid-request goes unnoticed until the answer
 * is written — after a conversion or a model run that may take the full deadline, holding a
 * CPU-pool worker or a place in a model's queue for nobody.
 *
 * <p>So while the work runs, the connection is watched: one read interest on its endpoint, called
 * back by Jetty's selector when the socket turns readable. A read then of end-of-stream means the
 * client left: the request's thread is interrupted, which cancels what it waits on (the {@link
 * dev.plinth.reader.CpuPool} worker, a model's queued sequences, a slot in the read queue), and the
 * request ends as 499, Client Closed Request, in the access log. Bytes that arrive instead (a
 * pipelined next request) are handed back to the connection for its parser, and the watch ends.
 *
 * <p>The watch is used only once the request's body has been read, so the handler and the watch
 * never read the connection at the same time; and it is withdrawn before the answer is written,
 * since Jetty aborts a connection that completes a request with a read still pending.
 */
final class Disconnects {

    private static final Logger LOG = LoggerFactory.getLogger(Disconnects.class);

    /** The status nginx made the name for: the client closed the request. */
    static final int CLIENT_CLOSED = 499;

    private Disconnects() {}

    /** Work that runs while the connection is watched. */
    @FunctionalInterface
    interface Work<T, E extends Exception> {
        T run() throws E;
    }

    /**
     * Runs {@code work} on this thread, interrupting it if the client of {@code ctx} disconnects
     * meanwhile; then, whatever the work returned or threw, the request ends as 499.
     */
    static <T, E extends Exception> T watch(Context ctx, Work<T, E> work) throws E {
        Watch watch = Watch.start(ctx);
        T result;
        try {
            result = work.run();
        } catch (Exception | Error e) {
            watch.close();
            if (watch.left()) throw clientLeft();
            throw e;
        }
        watch.close();
        if (watch.left()) throw clientLeft();
        return result;
    }

    private static ApiException clientLeft() {
        return new ApiException(
                CLIENT_CLOSED,
                "ClientClosedRequestError",
                "the client closed the connection before the answer was ready; its work was"
                        + " cancelled");
    }

    /** One request's watch: its state moves from WATCHING to LEFT or CLOSED, once. */
    private static final class Watch implements Callback {
        private static final int WATCHING = 0, LEFT = 1, CLOSED = 2, OFF = 3;

        private final AtomicInteger state = new AtomicInteger(WATCHING);
        private final Thread thread = Thread.currentThread();
        private final EndPoint endPoint;
        private final HttpConnection connection;

        private Watch(EndPoint endPoint, HttpConnection connection) {
            this.endPoint = endPoint;
            this.connection = connection;
        }

        /** A watch on {@code ctx}'s connection, or one that never fires where none can be made. */
        static Watch start(Context ctx) {
            Request base = Request.getBaseRequest(ctx.req());
            if (base == null
                    || !(base.getHttpChannel().getEndPoint() instanceof AbstractEndPoint endPoint)
                    || !(endPoint.getConnection() instanceof HttpConnection connection)
                    || !connection.isRequestBufferEmpty()) {
                // Not HTTP/1 over a socket, or a pipelined request already waits in the buffer:
                // a read now would take its bytes. Nothing to watch with.
                return off();
            }
            Watch watch = new Watch(endPoint, connection);
            if (!endPoint.tryFillInterested(watch)) {
                return off(); // someone else reads this connection now
            }
            return watch;
        }

        private static Watch off() {
            Watch w = new Watch(null, null);
            w.state.set(OFF);
            return w;
        }

        /** Whether the client was seen to leave. */
        boolean left() {
            return state.get() == LEFT;
        }

        /**
         * Ends the watch on the request's own thread: withdraws the pending read, and clears an
         * interrupt the watch caused so the answer can be written.
         */
        void close() {
            if (state.compareAndSet(WATCHING, CLOSED)) {
                // Only this watch's read can be pending: the body was read before it began.
                ((AbstractEndPoint) endPoint)
                        .getFillInterest()
                        .onFail(new CancellationException("the answer is ready"));
            } else if (state.get() == LEFT) {
                Thread.interrupted();
            }
        }

        /** The socket is readable: end of stream, or bytes of a next request. */
        @Override
        public void succeeded() {
            if (state.get() != WATCHING) {
                return;
            }
            ByteBuffer buffer = ByteBuffer.allocate(4096);
            buffer.flip(); // Jetty's fill appends to a buffer in flush mode
            int n;
            try {
                n = endPoint.fill(buffer);
            } catch (IOException e) {
                n = -1; // a reset is a client that left as surely as a close
            } catch (RuntimeException e) {
                state.compareAndSet(WATCHING, OFF); // the endpoint is going away: not our call
                return;
            }
            if (n < 0) {
                if (state.compareAndSet(WATCHING, LEFT)) {
                    LOG.debug(
                            "client left {}: cancelling its request",
                            endPoint.getRemoteSocketAddress());
                    thread.interrupt();
                }
            } else if (n > 0) {
                // A pipelined request: it belongs to the connection, which parses it after this
                // one.
                connection.onUpgradeTo(buffer);
                state.compareAndSet(WATCHING, OFF);
            } else if (state.get() == WATCHING && !endPoint.tryFillInterested(this)) {
                state.compareAndSet(WATCHING, OFF); // readable but empty: wait again
            }
        }

        /**
         * The read interest failed: withdrawn by {@link #close}, or the endpoint's idle timeout or
         * the server's own stop. None of these says the client left, so the watch just ends; a
         * request the server is draining must finish.
         */
        @Override
        public void failed(Throwable x) {
            state.compareAndSet(WATCHING, OFF);
        }

        @Override
        public InvocationType getInvocationType() {
            // A non-blocking read and an interrupt: fine to run on the selector thread.
            return InvocationType.NON_BLOCKING;
        }
    }
}
