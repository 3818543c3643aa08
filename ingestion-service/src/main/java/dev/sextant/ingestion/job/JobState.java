package dev.sextant.ingestion.job;

import java.util.Locale;

/**
 * A job's life: queued → parsing → chunking → embedding → indexing → done, or failed (with the reason).
 * superseded: a newer version of the document arrived before this one was indexed; cancelled: the document was
 * deleted first. The last four are terminal.
 */
public enum JobState {
    QUEUED, PARSING, CHUNKING, EMBEDDING, INDEXING, DONE, FAILED, SUPERSEDED, CANCELLED;

    public boolean terminal() {
        return ordinal() >= DONE.ordinal();
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static JobState fromWire(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
