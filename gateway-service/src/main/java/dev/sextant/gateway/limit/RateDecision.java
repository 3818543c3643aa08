package dev.sextant.gateway.limit;

/** Whether one more request (or token) fits; when it does not, how long until it would. */
public record RateDecision(boolean allowed, long retryAfterMillis) {

    public static final RateDecision ALLOWED = new RateDecision(true, 0);

    /** {@code Retry-After} in whole seconds, rounded up, at least 1. */
    public long retryAfterSeconds() {
        return Math.max(1, (retryAfterMillis + 999) / 1000);
    }
}
