package dev.plinth.server;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code plinth read}: pages to Markdown on the command line. (Skeleton.) */
@Command(name = "read", description = "Read URLs or HTML files and print their content as Markdown.")
final class ReadCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("plinth read: not implemented yet");
        return 1;
    }
}
