package dev.sextant.gateway.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;

class UsageScannerTests {

    private static DataBuffer buffer(String text) {
        return DefaultDataBufferFactory.sharedInstance.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void findsUsageInTheLastSseChunkEvenWhenLinesAreSplitAcrossBuffers() {
        UsageScanner scanner = UsageScanner.forSse();
        String stream = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n"
                + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":5,\"total_tokens\":25}}\r\n\r\n"
                + "data: [DONE]\n\n";
        for (int i = 0; i < stream.length(); i += 7) {
            scanner.accept(buffer(stream.substring(i, Math.min(stream.length(), i + 7))));
        }

        assertThat(scanner.tokens()).isEqualTo(25L);
    }

    @Test
    void lastReportedRunningTotalWinsSoStreamsAreNotCountedTwice() {
        UsageScanner scanner = UsageScanner.forSse();
        scanner.accept(buffer("data: {\"usage\":{\"total_tokens\":10}}\n\ndata: {\"usage\":{\"total_tokens\":12}}\n\n"));

        assertThat(scanner.tokens()).isEqualTo(12L);
    }

    @Test
    void doesNotConsumeTheBytesItLooksAt() {
        DataBuffer sse = buffer("data: {\"usage\":{\"total_tokens\":3}}\n");
        DataBuffer json = buffer("{\"usage\":{\"total_tokens\":3}}");
        int sseBytes = sse.readableByteCount();
        int jsonBytes = json.readableByteCount();

        UsageScanner.forSse().accept(sse);
        UsageScanner.forJson().accept(json);

        assertThat(sse.readableByteCount()).isEqualTo(sseBytes);
        assertThat(json.readableByteCount()).isEqualTo(jsonBytes);
        assertThat(sse.readPosition()).isZero();
    }

    @Test
    void addsPromptAndCompletionTokensWhenNoTotalIsGiven() {
        UsageScanner scanner = UsageScanner.forJson();
        scanner.accept(buffer("{\"object\":\"list\",\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":3}}"));

        assertThat(scanner.tokens()).isEqualTo(7L);
    }

    @Test
    void findsUsageAtTheEndOfALargeJsonBodyWithoutKeepingAllOfIt() {
        UsageScanner scanner = UsageScanner.forJson();
        scanner.accept(buffer("{\"data\":[{\"embedding\":["));
        for (int i = 0; i < 20_000; i++) {
            scanner.accept(buffer("0.123456,"));
        }
        scanner.accept(buffer("0.1]}],\"model\":\"m\",\"usage\":{\"prompt_tokens\":9,\"total_tokens\":9}}"));

        assertThat(scanner.tokens()).isEqualTo(9L);
    }

    @Test
    void reportsNothingWhenTheResponseHasNoUsage() {
        UsageScanner json = UsageScanner.forJson();
        json.accept(buffer("{\"text\":\"the word \\\"usage\\\" in a string\",\"usage\":null}"));
        UsageScanner sse = UsageScanner.forSse();
        sse.accept(buffer("data: {\"text\":\"no usage here\"}\n\n"));

        assertThat(json.tokens()).isNull();
        assertThat(sse.tokens()).isNull();
    }
}
