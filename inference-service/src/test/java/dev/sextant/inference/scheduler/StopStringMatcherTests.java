package dev.sextant.inference.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class StopStringMatcherTests {

    @Test
    void matchesAStopStringSplitAcrossPiecesAndNeverEmitsIt() {
        StopStringMatcher m = new StopStringMatcher(List.of("END"));
        assertThat(m.push("abc E")).isEqualTo("abc ");
        assertThat(m.push("N")).isEmpty();
        assertThat(m.push("D and more")).isEmpty();
        assertThat(m.stopped()).isTrue();
        assertThat(m.push("later")).isEmpty();
    }

    @Test
    void releasesHeldTextWhenTheStopStringDoesNotFollow() {
        StopStringMatcher m = new StopStringMatcher(List.of("\n\n"));
        assertThat(m.push("Hello\n")).isEqualTo("Hello");
        assertThat(m.push("World")).isEqualTo("\nWorld");
        assertThat(m.stopped()).isFalse();
    }

    @Test
    void stopsAtTheEarliestOfSeveralStopStrings() {
        StopStringMatcher m = new StopStringMatcher(List.of("cd", "b"));
        assertThat(m.push("abcd")).isEqualTo("a");
        assertThat(m.stopped()).isTrue();
    }

    @Test
    void flushReturnsHeldTextAtTheEnd() {
        StopStringMatcher m = new StopStringMatcher(List.of("xyz"));
        assertThat(m.push("abx")).isEqualTo("ab");
        assertThat(m.flush()).isEqualTo("x");
    }

    @Test
    void passesTextThroughWithoutStopStrings() {
        StopStringMatcher m = new StopStringMatcher(List.of());
        assertThat(m.push("anything")).isEqualTo("anything");
    }
}
