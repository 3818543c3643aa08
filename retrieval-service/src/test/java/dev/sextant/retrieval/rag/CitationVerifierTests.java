package dev.sextant.retrieval.rag;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class CitationVerifierTests {

    private static final Map<Integer, String> PASSAGES = Map.of(
            1, "Employees receive twenty five\n days of paid vacation.",
            2, "Parking is assigned by seniority.");

    @Test
    void acceptsQuoteFoundInItsPassageIgnoringCaseAndWhitespace() {
        var result = CitationVerifier.verify(List.of(new CitationVerifier.Citation(1, "\"twenty  FIVE days of paid vacation.\"")), PASSAGES);
        assertThat(result.verified()).hasSize(1);
        assertThat(result.rejected()).isEmpty();
    }

    @Test
    void rejectsQuoteFromAnotherPassage() {
        var result = CitationVerifier.verify(List.of(new CitationVerifier.Citation(2, "paid vacation")), PASSAGES);
        assertThat(result.verified()).isEmpty();
        assertThat(result.rejected().getFirst().reason()).contains("does not occur in passage 2");
    }

    @Test
    void rejectsPassageIdThatWasNotRetrieved() {
        var result = CitationVerifier.verify(List.of(new CitationVerifier.Citation(7, "paid vacation")), PASSAGES);
        assertThat(result.rejected().getFirst().reason()).contains("was not retrieved");
    }

    @Test
    void rejectsEmptyQuote() {
        var result = CitationVerifier.verify(List.of(new CitationVerifier.Citation(1, "  . ")), PASSAGES);
        assertThat(result.rejected().getFirst().reason()).isEqualTo("empty quote");
    }
}
