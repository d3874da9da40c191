package io.drover.agent;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A small bounded map of recent task ids to what a command needs to act on them (oldest forgotten
 * first), for adapters whose engine cannot look an execution up by its id.
 */
public final class Recent<V> {
    private final Map<String, V> map;

    public Recent(int capacity) {
        this.map = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > capacity;
            }
        };
    }

    public synchronized void put(String key, V value) {
        map.put(key, value);
    }

    public synchronized V get(String key) {
        return map.get(key);
    }
}
