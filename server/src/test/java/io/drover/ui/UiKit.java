package io.drover.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.cli.DroverCli;
import io.drover.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import picocli.CommandLine;

/** Dashboard test helpers: users made by `drover users create` against the test server's database. */
final class UiKit {
    static final String PASSWORD = "correct horse battery staple 42";

    private UiKit() {}

    /** Runs {@code drover users create} on the server's database with {@code password} on standard input. */
    static int usersCreate(TestServer server, String password, String... args) {
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream((password + "\n").getBytes(StandardCharsets.UTF_8)));
            Map<String, String> env = Map.of("DROVER_DATABASE_URL", server.jdbcUrl() + "?user=postgres",
                    "DROVER_SECRETS_KEY", TestServer.SECRETS_KEY,
                    "DROVER_DATA_DIR", Files.createTempDirectory("drover-cli").toString());
            String[] all = new String[args.length + 2];
            all[0] = "users";
            all[1] = "create";
            System.arraycopy(args, 0, all, 2, args.length);
            return new CommandLine(new DroverCli(env)).execute(all);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            System.setIn(stdin);
        }
    }

    /** A user of {@code role} in the project default, signed in to the dashboard. */
    static UiClient user(TestServer server, String email, String role) {
        assertThat(usersCreate(server, PASSWORD, "--email", email, "--role", role, "--password-stdin")).isZero();
        UiClient b = new UiClient(server.baseUrl());
        UiClient.Answer a = b.signIn(email, PASSWORD);
        assertThat(a.status()).as(a.body()).isEqualTo(303);
        return b;
    }
}
