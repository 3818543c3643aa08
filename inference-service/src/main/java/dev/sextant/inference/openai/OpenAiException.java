package dev.sextant.inference.openai;

import org.springframework.http.HttpStatus;

/**
 * An error that reaches an OpenAI client as {@code {"error": {message, type, param, code}}}, on every OpenAI-compatible
 * endpoint of this service (chat, completions, embeddings, models, vocabulary).
 */
public class OpenAiException extends RuntimeException {

    private final HttpStatus status;
    private final String type;
    private final String param;
    private final String code;

    public OpenAiException(HttpStatus status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    public static OpenAiException invalid(String param, String message) {
        return new OpenAiException(HttpStatus.BAD_REQUEST, "invalid_request_error", param, "invalid_value", message);
    }

    /** 400 invalid_request_error naming {@code param}, with OpenAI's {@code code}. */
    public static OpenAiException invalid(String param, String code, String message) {
        return new OpenAiException(HttpStatus.BAD_REQUEST, "invalid_request_error", param, code, message);
    }

    public static OpenAiException unsupported(String param, String message) {
        return new OpenAiException(HttpStatus.BAD_REQUEST, "invalid_request_error", param, "unsupported_parameter", message);
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
