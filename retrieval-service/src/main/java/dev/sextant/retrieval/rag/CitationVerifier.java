package dev.sextant.retrieval.rag;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Checks the model's citations against the passages it was given: a citation stands only when its passage id is
 * one of those retrieved and its quote occurs in that passage (compared case-insensitively with whitespace runs
 * collapsed, surrounding quotes and a final full stop ignored). Everything else is rejected with the reason.
 */
final class CitationVerifier {

    record Citation(int passageId, String quote) {
    }

    record Rejected(int passageId, String quote, String reason) {
    }

    record Result(List<Citation> verified, List<Rejected> rejected) {
    }

    private CitationVerifier() {
    }

    static Result verify(List<Citation> citations, Map<Integer, String> passages) {
        List<Citation> verified = new ArrayList<>();
        List<Rejected> rejected = new ArrayList<>();
        for (Citation c : citations) {
            String passage = passages.get(c.passageId());
            String quote = normalise(c.quote());
            if (passage == null) {
                rejected.add(new Rejected(c.passageId(), c.quote(), "passage " + c.passageId() + " was not retrieved"));
            } else if (quote.isEmpty()) {
                rejected.add(new Rejected(c.passageId(), c.quote(), "empty quote"));
            } else if (!normalise(passage).contains(quote)) {
                rejected.add(new Rejected(c.passageId(), c.quote(), "quote does not occur in passage " + c.passageId()));
            } else {
                verified.add(c);
            }
        }
        return new Result(List.copyOf(verified), List.copyOf(rejected));
    }

    static String normalise(String text) {
        if (text == null) {
            return "";
        }
        String s = text.toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").trim();
        s = s.replaceAll("^[\"'“‘«]+|[\"'”’»]+$", "").trim();
        if (s.endsWith(".")) {
            s = s.substring(0, s.length() - 1).trim();
        }
        return s;
    }
}
