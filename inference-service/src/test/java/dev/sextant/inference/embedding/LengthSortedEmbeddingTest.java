package dev.sextant.inference.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link MiniLmEmbedder} on the real model: a batch of texts of very different lengths is cut into length-sorted
 * runs, and every text still gets its own vector, in input order, equal to the one it gets alone.
 */
class LengthSortedEmbeddingTest {

    private static MiniLmEmbedder sorted;
    private static MiniLmEmbedder padded;

    @BeforeAll
    static void load() {
        sorted = MiniLmEmbedder.load(null, 256, 1, false, MiniLmEmbedder.MAX_PADDING);
        padded = MiniLmEmbedder.load(null, 256, 1, false, 1e9);
    }

    @AfterAll
    static void close() {
        sorted.close();
        padded.close();
    }

    private static List<String> mixedLengths() {
        List<String> texts = new ArrayList<>();
        String[] words = "retrieval augmented generation cites passages from enterprise documents with care".split(" ");
        for (int i = 0; i < 12; i++) {
            StringBuilder s = new StringBuilder("text " + i + ":");
            int n = i % 3 == 0 ? 60 + 7 * i : 2 + i; // long and short texts interleaved
            for (int w = 0; w < n; w++) {
                s.append(' ').append(words[(w * 7 + i) % words.length]);
            }
            texts.add(s.toString());
        }
        return texts;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Test
    void eachTextGetsTheVectorItGetsAloneInInputOrder() {
        List<String> texts = mixedLengths();
        MiniLmEmbedder.Result batch = sorted.embed(texts);
        for (int i = 0; i < texts.size(); i++) {
            MiniLmEmbedder.Result alone = sorted.embed(List.of(texts.get(i)));
            assertThat(batch.tokenCounts()[i]).as("tokens of text %d", i).isEqualTo(alone.tokenCounts()[0]);
            assertThat(dot(batch.vectors()[i], alone.vectors()[0])).as("text %d", i).isGreaterThan(0.9999);
        }
    }

    @Test
    void runsKeepPaddingUnderTheBoundWhilePaddingToTheLongestDoesNot() {
        List<String> texts = mixedLengths();
        long padded0 = sorted.stats().paddedTokens();
        long tokens0 = sorted.stats().tokens();
        long calls0 = sorted.stats().onnxCalls();
        float[][] a = sorted.embed(texts).vectors();
        long computed = sorted.stats().paddedTokens() - padded0;
        long real = sorted.stats().tokens() - tokens0;
        assertThat(computed - real).isLessThanOrEqualTo((long) (MiniLmEmbedder.MAX_PADDING * real));
        assertThat(sorted.stats().onnxCalls() - calls0).isGreaterThan(1);

        long paddedBefore = padded.stats().paddedTokens();
        long callsBefore = padded.stats().onnxCalls();
        float[][] b = padded.embed(texts).vectors();
        assertThat(padded.stats().onnxCalls() - callsBefore).isEqualTo(1);
        assertThat(padded.stats().paddedTokens() - paddedBefore).isGreaterThan(2 * real);
        for (int i = 0; i < texts.size(); i++) {
            assertThat(dot(a[i], b[i])).as("text %d", i).isGreaterThan(0.9999);
        }
    }
}
