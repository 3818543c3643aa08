package dev.sextant.gateway.auth;

/**
 * What one client may spend: requests per second (a token bucket of {@code burst} requests refilled at
 * {@code requestsPerSecond}) and model tokens per minute (from the {@code usage} inference responses report).
 * Zero means unlimited.
 */
public record Limits(int requestsPerSecond, int burst, long tokensPerMinute) {

    public Limits {
        if (requestsPerSecond < 0 || burst < 0 || tokensPerMinute < 0) {
            throw new IllegalArgumentException("limits must not be negative");
        }
        if (burst == 0) {
            burst = requestsPerSecond;
        }
    }
}
