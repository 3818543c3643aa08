package dev.sextant.inference.openai;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.async.AsyncRequestNotUsableException;

import dev.sextant.inference.completion.ContextLengthExceededException;
import dev.sextant.inference.completion.OpenAiController;
import dev.sextant.inference.constraint.ConstraintRejectedException;
import dev.sextant.inference.embedding.EmbeddingController;
import dev.sextant.inference.model.ModelController;
import dev.sextant.inference.vocabulary.VocabularyController;
import dev.sextant.inference.model.ModelLoadException;
import dev.sextant.inference.model.ModelNotFoundException;
import dev.sextant.inference.sampling.InvalidSamplingParameterException;
import dev.sextant.inference.scheduler.QueueFullException;
import dev.sextant.support.RequestIds;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * OpenAI-compatible endpoints answer errors in OpenAI's shape, because OpenAI clients parse that:
 * {@code {"error": {"message", "type", "param", "code"}}}.
 */
@RestControllerAdvice(assignableTypes = {OpenAiController.class, ModelController.class, EmbeddingController.class,
        VocabularyController.class})
@Order(Ordered.HIGHEST_PRECEDENCE)
public class OpenAiErrorAdvice {

    private static final Logger log = LoggerFactory.getLogger(OpenAiErrorAdvice.class);

    @ExceptionHandler(OpenAiException.class)
    ResponseEntity<Map<String, Object>> openAi(OpenAiException e) {
        return error(e.status(), e.type(), e.param(), e.code(), e.getMessage(), null);
    }

    /**
     * OpenAI's answer to a prompt or max_tokens past the context: the numbers in the message, the field in param. The
     * numbers also travel as fields of the error object ({@code context_length}, {@code prompt_tokens} and, when a
     * budget was asked for, {@code completion_tokens}), so that a caller can size its budget to
     * {@code context_length - prompt_tokens} without parsing the message; OpenAI clients ignore fields they do not know.
     */
    @ExceptionHandler(ContextLengthExceededException.class)
    ResponseEntity<Map<String, Object>> contextLength(ContextLengthExceededException e) {
        Map<String, Object> numbers = new LinkedHashMap<>();
        numbers.put("context_length", e.contextLength());
        numbers.put("prompt_tokens", e.promptTokens());
        if (e.completionTokens() != null) {
            numbers.put("completion_tokens", e.completionTokens());
        }
        return error(HttpStatus.BAD_REQUEST, "invalid_request_error", e.param(), "context_length_exceeded", e.getMessage(),
                null, numbers);
    }

    @ExceptionHandler(ModelNotFoundException.class)
    ResponseEntity<Map<String, Object>> modelNotFound(ModelNotFoundException e) {
        return error(HttpStatus.NOT_FOUND, "invalid_request_error", "model", "model_not_found", e.getMessage(), null);
    }

    @ExceptionHandler(ModelLoadException.class)
    ResponseEntity<Map<String, Object>> modelLoad(ModelLoadException e) {
        return error(e.conflict() ? HttpStatus.CONFLICT : HttpStatus.BAD_REQUEST, "invalid_request_error", "path",
                e.conflict() ? "model_load_refused" : "model_load_failed", e.getMessage(), null);
    }

    @ExceptionHandler(ConstraintRejectedException.class)
    ResponseEntity<Map<String, Object>> constraint(ConstraintRejectedException e) {
        if (e.unavailable()) {
            return error(HttpStatus.SERVICE_UNAVAILABLE, "server_error", e.param(), "constraint_compiler_unavailable",
                    e.getMessage(), 5);
        }
        return error(HttpStatus.BAD_REQUEST, "invalid_request_error", e.param(), "unsupported_constraint", e.getMessage(), null);
    }

    @ExceptionHandler(QueueFullException.class)
    ResponseEntity<Map<String, Object>> queueFull(QueueFullException e) {
        return error(HttpStatus.TOO_MANY_REQUESTS, "requests", null, "rate_limit_exceeded",
                e.getMessage() + "; retry after " + e.retryAfterSeconds() + " s", e.retryAfterSeconds());
    }

    @ExceptionHandler(InvalidSamplingParameterException.class)
    ResponseEntity<Map<String, Object>> sampling(InvalidSamplingParameterException e) {
        return error(HttpStatus.BAD_REQUEST, "invalid_request_error", e.parameter(), "invalid_value", e.getMessage(), null);
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<Map<String, Object>> unreadable(HttpMessageNotReadableException e) {
        Throwable cause = e.getMostSpecificCause();
        if (cause instanceof UnrecognizedPropertyException unknown) {
            return error(HttpStatus.BAD_REQUEST, "invalid_request_error", unknown.getPropertyName(), "unknown_parameter",
                    "Unrecognized request argument supplied: " + unknown.getPropertyName(), null);
        }
        if (cause instanceof MismatchedInputException mismatch && !mismatch.getPath().isEmpty()) {
            String param = mismatch.getPath().stream()
                    .map(r -> r.getPropertyName() != null ? r.getPropertyName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining("."));
            return error(HttpStatus.BAD_REQUEST, "invalid_request_error", param, "invalid_type",
                    "Invalid type for '" + param + "'", null);
        }
        return error(HttpStatus.BAD_REQUEST, "invalid_request_error", null, "invalid_json",
                "We could not parse the JSON body of your request: " + firstLine(String.valueOf(cause.getMessage())), null);
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<Map<String, Object>> mediaType(HttpMediaTypeNotSupportedException e) {
        return OpenAiRoutingErrorAdvice.unsupportedMediaType(e);
    }

    @ExceptionHandler(IllegalArgumentException.class)
    ResponseEntity<Map<String, Object>> illegal(IllegalArgumentException e) {
        return error(HttpStatus.BAD_REQUEST, "invalid_request_error", null, "invalid_value", e.getMessage(), null);
    }

    /** The client went away mid-stream: nobody to answer, nothing to log as an error. */
    @ExceptionHandler(AsyncRequestNotUsableException.class)
    void clientGone(AsyncRequestNotUsableException e) {
        log.debug("client disconnected: {}", e.getMessage());
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<Map<String, Object>> unexpected(Exception e) {
        log.error("unexpected error", e);
        return error(HttpStatus.INTERNAL_SERVER_ERROR, "server_error", null, "internal_error",
                "The server had an error while processing your request; request id " + MDC.get(RequestIds.MDC_KEY), null);
    }

    static ResponseEntity<Map<String, Object>> error(HttpStatus status, String type, String param, String code,
            String message, Integer retryAfter) {
        return error(status, type, param, code, message, retryAfter, Map.of());
    }

    /** OpenAI's four fields, then {@code extra} ones (Sextant's own, after those every OpenAI client reads). */
    private static ResponseEntity<Map<String, Object>> error(HttpStatus status, String type, String param, String code,
            String message, Integer retryAfter, Map<String, Object> extra) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("message", message);
        body.put("type", type);
        body.put("param", param);
        body.put("code", code);
        body.putAll(extra);
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.APPLICATION_JSON);
        if (retryAfter != null) {
            headers.set(HttpHeaders.RETRY_AFTER, String.valueOf(retryAfter));
        }
        return new ResponseEntity<>(Map.of("error", body), headers, status);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
