package dev.sextant.inference.scheduler;

import java.util.List;

/**
 * Finds stop strings in streamed text, across token boundaries, and never emits them: text that could still
 * be the start of a stop string is held back until the next piece decides.
 *
 * <pre>{@code
 * StopStringMatcher m = new StopStringMatcher(List.of("\n\n"));
 * m.push("Hello\n");   // "Hello" (the "\n" is held back)
 * m.push("\nBye");     // stopped() == true, returns ""
 * }</pre>
 */
public final class StopStringMatcher {

    private final List<String> stops;
    private final int longest;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    public StopStringMatcher(List<String> stops) {
        this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
        this.longest = this.stops.stream().mapToInt(String::length).max().orElse(0);
    }

    /** Adds decoded text; returns what can be emitted now. After a stop, returns "" forever. */
    public String push(String text) {
        if (stopped) {
            return "";
        }
        if (longest == 0) {
            return text;
        }
        pending.append(text);
        int cut = -1;
        for (String stop : stops) {
            int at = pending.indexOf(stop);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            stopped = true;
            String out = pending.substring(0, cut);
            pending.setLength(0);
            return out;
        }
        int hold = heldSuffix();
        String out = pending.substring(0, pending.length() - hold);
        pending.delete(0, pending.length() - hold);
        return out;
    }

    /** Text still held back, released when generation ends for another reason. */
    public String flush() {
        String out = stopped ? "" : pending.toString();
        pending.setLength(0);
        return out;
    }

    public boolean stopped() {
        return stopped;
    }

    /** Length of the longest suffix of pending that is a proper prefix of some stop string. */
    private int heldSuffix() {
        int max = Math.min(longest - 1, pending.length());
        for (int len = max; len > 0; len--) {
            int from = pending.length() - len;
            for (String stop : stops) {
                if (stop.length() > len && pending.substring(from).equals(stop.substring(0, len))) {
                    return len;
                }
            }
        }
        return 0;
    }
}
