package dev.sextant.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/**
 * A stream is bounded by the silence between its chunks, never by its total length: with a 500 ms idle timeout,
 * a stream that pauses {@value TestUpstream#STREAM_PAUSE_MS} ms is cut after what it sent so far, while one that
 * talks every {@value TestUpstream#DRIP_GAP_MS} ms for longer than the idle timeout in total passes whole.
 */
@TestPropertySource(properties = "sextant.gateway.stream-idle-timeout=500ms")
class StreamIdleTimeoutIT extends AbstractGatewayIT {

    @Test
    void aStreamSilentForLongerThanTheIdleTimeoutIsCut() {
        GatewayClient.Key key = client().createKey("acme", Map.of());

        String received = stream(key, "{\"model\":\"m\",\"stream\":true,\"messages\":[]}");

        assertThat(received).as("the first event, sent at once, passes").contains("Hel");
        assertThat(received).as("the event after the pause never arrives").doesNotContain("lo\"").doesNotContain("[DONE]");
    }

    @Test
    void aStreamThatKeepsTalkingOutlivesTheIdleTimeout() {
        GatewayClient.Key key = client().createKey("acme", Map.of());

        String received = stream(key, "{\"model\":\"m\",\"stream\":true,\"drip\":true,\"messages\":[]}");

        for (int i = 0; i < TestUpstream.DRIP_EVENTS; i++) {
            assertThat(received).contains("\"t" + i + "\"");
        }
        assertThat(received).contains("data: [DONE]");
    }

    /** What the client received before the stream ended, normally or cut (a cut stream ends the chunked body early). */
    private String stream(GatewayClient.Key key, String body) {
        HttpResponse<InputStream> response = client().send(client().request("/v1/chat/completions")
                .header("Authorization", "Bearer " + key.secret())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        try (InputStream in = response.body()) {
            byte[] buffer = new byte[1024];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                received.write(buffer, 0, n);
            }
        }
        catch (IOException cut) {
            // the gateway closed the connection mid-body: what arrived before is what counts
        }
        return received.toString(StandardCharsets.UTF_8);
    }
}
