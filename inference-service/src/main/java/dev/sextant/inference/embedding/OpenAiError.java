package dev.sextant.inference.embedding;

import org.springframework.http.HttpStatus;

/**
 * A failure on an OpenAI-compatible endpoint of this package or the vocabulary API, answered as
 * {@code {"error": {"message", "type", "param", "code"}}} by {@link OpenAiShapeAdvice}.
 */
public class OpenAiError extends RuntimeException {

    private final HttpStatus status;
    private final String type;
    private final String param;
    private final String code;

    public OpenAiError(HttpStatus status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400 invalid_request_error naming {@code param}. */
    public static OpenAiError invalid(String param, String code, String message) {
        return new OpenAiError(HttpStatus.BAD_REQUEST, "invalid_request_error", param, code, message);
    }

    public HttpStatus status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }
}
