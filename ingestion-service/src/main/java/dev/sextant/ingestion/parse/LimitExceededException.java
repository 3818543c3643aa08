package dev.sextant.ingestion.parse;

import org.xml.sax.SAXException;

/** Thrown from inside the SAX stream to stop a parse as soon as a document passes a configured limit. */
final class LimitExceededException extends SAXException {

    private final String limit;

    LimitExceededException(String limit, String message) {
        super(message);
        this.limit = limit;
    }

    String limit() {
        return limit;
    }
}
