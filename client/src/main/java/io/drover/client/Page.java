package io.drover.client;

import java.util.List;

/**
 * One page of a list endpoint. Pass {@link #nextCursor()} as the cursor of the next call; it is
 * null on the last page.
 *
 * @param data the items of this page
 * @param nextCursor the cursor of the next page, or null when there is none
 * @param <T> the item type
 */
public record Page<T>(List<T> data, String nextCursor) {

    /** Normalizes a missing list to an empty one. */
    public Page {
        data = data == null ? List.of() : List.copyOf(data);
    }

    /** @return whether another page follows */
    public boolean hasMore() {
        return nextCursor != null;
    }
}
