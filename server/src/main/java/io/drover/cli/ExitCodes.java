package io.drover.cli;

/**
 * The exit codes of every client command, one scheme for all so that scripts can branch on them.
 * {@link #FOOTER} is the help footer that documents them.
 */
public final class ExitCodes {
    /** The command did what it was asked. */
    public static final int OK = 0;
    /** The server answered with an error other than 404 (400, 401, 403, 409, 422, 5xx...). */
    public static final int SERVER_ERROR = 1;
    /** {@code drover diff}: something would change (the same code, for scripts that treat any non-zero alike). */
    public static final int CHANGES = 1;
    /** The command line was wrong: unknown or malformed flags, bad JSON, no API key. Nothing was sent. */
    public static final int USAGE = 2;
    /** No answer from the server: refused, reset or timed out. */
    public static final int UNREACHABLE = 3;
    /** The server answered 404: the job, run or path does not exist. */
    public static final int NOT_FOUND = 4;

    /** The help footer listing the codes above. */
    public static final String FOOTER = """
            %nExit codes:
              0  ok
              1  the server answered an error (4xx/5xx except 404), shown on stderr;
                 for diff: something would change
              2  usage error (bad flags or JSON, missing API key); nothing was sent
              3  cannot reach the server (connection refused, reset or timed out)
              4  not found (HTTP 404)
            %nEnvironment: DROVER_URL (default http://localhost:7070), DROVER_API_KEY.""";

    private ExitCodes() {
    }
}
