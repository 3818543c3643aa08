package dev.sextant.ingestion.upstream;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.function.Supplier;

import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClientException;
import org.springframework.web.client.RestClientResponseException;

/** Sorts an outbound failure into retryable (down, 5xx, 429, 408) or not (any other 4xx). */
final class Upstreams {

    private Upstreams() {
    }

    static JdkClientHttpRequestFactory requestFactory(Duration readTimeout) {
        JdkClientHttpRequestFactory factory = new JdkClientHttpRequestFactory(
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
        factory.setReadTimeout(readTimeout);
        return factory;
    }

    static <T> T call(String what, Supplier<T> call) {
        try {
            return call.get();
        } catch (RestClientResponseException e) {
            HttpStatusCode status = e.getStatusCode();
            boolean retryable = status.is5xxServerError() || status.value() == 429 || status.value() == 408;
            String body = e.getResponseBodyAsString();
            throw new UpstreamException(what + " answered " + status.value()
                    + (body.isBlank() ? "" : ": " + abbreviate(body)), retryable, e);
        } catch (ResourceAccessException e) {
            Throwable cause = e.getMostSpecificCause();
            throw new UpstreamException(what + " is unreachable: "
                    + (cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName()), true, e);
        } catch (RestClientException e) {
            throw new UpstreamException(what + " sent an unreadable answer: " + e.getMessage(), false, e);
        }
    }

    private static String abbreviate(String body) {
        return body.length() <= 500 ? body : body.substring(0, 500) + "...";
    }
}
