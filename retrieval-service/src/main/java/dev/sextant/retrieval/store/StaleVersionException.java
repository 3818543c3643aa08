package dev.sextant.retrieval.store;

/** A write carried an older version than the one stored; the stored version wins. */
public class StaleVersionException extends RuntimeException {

    private final long storedVersion;

    public StaleVersionException(String documentId, long storedVersion, long offered) {
        super("Document '" + documentId + "' is at version " + storedVersion + "; version " + offered + " is older");
        this.storedVersion = storedVersion;
    }

    public long storedVersion() {
        return storedVersion;
    }
}
