package dev.plinth.server;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code plinth serve}: the HTTP API. (Skeleton.) */
@Command(name = "serve", description = "Start the HTTP API.")
final class ServeCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("plinth serve: not implemented yet");
        return 1;
    }
}
