package io.drover.client;

/**
 * The filters and paging of a run listing; null fields are left out.
 *
 * @param job a job id or slug
 * @param status a run state
 * @param cursor the cursor from the previous page
 * @param limit the page size, up to 500
 */
public record RunFilter(String job, RunStatus status, String cursor, Integer limit) {

    /** @return a filter that matches every run */
    public static RunFilter all() {
        return new RunFilter(null, null, null, null);
    }

    /** @return a filter on one job */
    public static RunFilter job(String jobIdOrSlug) {
        return new RunFilter(jobIdOrSlug, null, null, null);
    }

    /** @return a copy restricted to one state */
    public RunFilter withStatus(RunStatus value) {
        return new RunFilter(job, value, cursor, limit);
    }

    /** @return a copy that asks for the page after {@code value} */
    public RunFilter withCursor(String value) {
        return new RunFilter(job, status, value, limit);
    }

    /** @return a copy with the given page size */
    public RunFilter withLimit(int value) {
        return new RunFilter(job, status, cursor, value);
    }
}
