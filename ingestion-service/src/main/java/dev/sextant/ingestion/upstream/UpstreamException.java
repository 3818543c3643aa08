package dev.sextant.ingestion.upstream;

/**
 * A call to inference or retrieval failed. {@link #retryable()} when the upstream is down, overloaded or timed
 * out (the job backs off and tries again); not retryable when it refused the request (the job fails, saying why).
 */
public class UpstreamException extends RuntimeException {

    private final boolean retryable;

    public UpstreamException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }
}
