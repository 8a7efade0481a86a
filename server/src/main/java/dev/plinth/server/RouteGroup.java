package dev.plinth.server;

import io.javalin.Javalin;

/**
 * A set of HTTP routes the server mounts: the reader's, and each model API's. Handlers throw {@link
 * ApiException} (or let any exception escape) and {@link Errors} answers for them; API keys, rate
 * limits, the access log and metrics apply to every group without it doing anything.
 */
@FunctionalInterface
public interface RouteGroup {

    /** Adds this group's routes to {@code app}. */
    void register(Javalin app);
}
