package io.drover;

import io.drover.cli.DroverCli;

public final class Main {
    private Main() {}

    public static void main(String[] args) {
        if ("json".equalsIgnoreCase(System.getenv("DROVER_LOG_FORMAT"))
                && System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-json.xml");
        }
        int code = DroverCli.execute(args);
        if (code != 0 || (args.length > 0 && !args[0].equals("server"))) {
            System.exit(code);
        }
    }
}
