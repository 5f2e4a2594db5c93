package io.shardgrid.bench;

import io.shardgrid.bench.load.BenchCommand;
import picocli.CommandLine;

/** {@code bin/grid bench}: the load generator. */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCommand()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }
}
