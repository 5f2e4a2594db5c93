package io.shardgrid.server;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The server side of {@code bin/grid}: {@code server} and {@code local-cluster}. */
@Command(name = "grid", mixinStandardHelpOptions = true,
    subcommands = {ServerCommand.class, LocalClusterCommand.class, ClassArchiveTraining.class},
    description = "Shardgrid: a replicated, sharded, in-memory data grid.")
public final class GridMain implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command tree with the parsing rules every entry point shares. */
    static CommandLine commandLine() {
        return new CommandLine(new GridMain()).setCaseInsensitiveEnumValuesAllowed(true);
    }
}
