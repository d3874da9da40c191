package io.drover.ui;

import io.drover.workflows.StepSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A workflow's steps laid out for an SVG drawn on the server: each step in the column of its
 * longest path from a root, stacked in definition order, edges from each dependency's right side
 * to the step's left side.
 */
public record Dag(List<Node> nodes, List<Edge> edges, int width, int height) {
    static final int W = 170;
    static final int H = 46;
    static final int GAP_X = 60;
    static final int GAP_Y = 22;
    static final int PAD = 12;

    public record Node(String id, String type, String status, String href, int x, int y) {
        public int textX() {
            return x + 10;
        }

        public String label() {
            return id.length() > 20 ? id.substring(0, 19) + "…" : id;
        }
    }

    public record Edge(String path) {}

    /** Lays out {@code steps}; {@code status} and {@code href} give each step's state and link (may be absent). */
    public static Dag of(List<StepSpec> steps, Map<String, String> status, Map<String, String> href) {
        Map<String, Integer> level = new HashMap<>();
        for (int pass = 0; pass <= steps.size(); pass++) { // longest path: relax until stable (steps form a DAG)
            boolean changed = false;
            for (StepSpec s : steps) {
                int l = 0;
                for (String d : s.dependsOn()) {
                    l = Math.max(l, level.getOrDefault(d, 0) + 1);
                }
                if (!Integer.valueOf(l).equals(level.get(s.id()))) {
                    level.put(s.id(), l);
                    changed = true;
                }
            }
            if (!changed) {
                break;
            }
        }
        Map<Integer, Integer> rows = new HashMap<>();
        Map<String, Node> byId = new HashMap<>();
        List<Node> nodes = new ArrayList<>();
        int maxX = 0;
        int maxY = 0;
        for (StepSpec s : steps) {
            int col = level.getOrDefault(s.id(), 0);
            int row = rows.merge(col, 1, Integer::sum) - 1;
            int x = PAD + col * (W + GAP_X);
            int y = PAD + row * (H + GAP_Y);
            Node n = new Node(s.id(), s.type(), status.getOrDefault(s.id(), "pending"), href.get(s.id()), x, y);
            nodes.add(n);
            byId.put(s.id(), n);
            maxX = Math.max(maxX, x + W);
            maxY = Math.max(maxY, y + H);
        }
        List<Edge> edges = new ArrayList<>();
        for (StepSpec s : steps) {
            Node to = byId.get(s.id());
            for (String d : s.dependsOn()) {
                Node from = byId.get(d);
                if (from == null) {
                    continue;
                }
                int x1 = from.x() + W;
                int y1 = from.y() + H / 2;
                int x2 = to.x();
                int y2 = to.y() + H / 2;
                int mid = (x1 + x2) / 2;
                edges.add(new Edge("M" + x1 + "," + y1 + " C" + mid + "," + y1 + " " + mid + "," + y2 + " " + x2 + ","
                        + y2));
            }
        }
        return new Dag(nodes, edges, maxX + PAD, maxY + PAD);
    }

    public int nodeWidth() {
        return W;
    }

    public int nodeHeight() {
        return H;
    }
}
