package io.shardgrid.server;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The server side of {@code bin/grid}: {@code server} and {@code local-cluster}. */
@Command(name = "grid", mixinStandardHelpOptions = true,
    description = "Shardgrid: a replicated, sharded, in-memory data grid.")
public final class GridMain implements Runnable {
    private static final Map<String, Supplier<Object>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("server", ServerCommand::new);
        COMMANDS.put("local-cluster", LocalClusterCommand::new);
        COMMANDS.put("train-class-archive", ClassArchiveTraining::new);
    }

    @Override
    public void run() {
        commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine(args).execute(args));
    }

    /**
     * The command tree with the parsing rules every entry point shares, holding only the command
     * {@code args} name when they name one. Picocli builds a command's model by reflection at every
     * start, and its classes are too old for the class-data archive: the server's model alone cost
     * the local-cluster launcher about 0.1 s of CPU while three nodes started beside it.
     */
    static CommandLine commandLine(String... args) {
        CommandLine line = new CommandLine(new GridMain());
        Supplier<Object> named = args.length > 0 ? COMMANDS.get(args[0]) : null;
        if (named != null) {
            line.addSubcommand(named.get());
        } else {
            COMMANDS.values().forEach(command -> line.addSubcommand(command.get()));
        }
        // After the subcommands: picocli applies this to the ones already added.
        return line.setCaseInsensitiveEnumValuesAllowed(true);
    }
}
