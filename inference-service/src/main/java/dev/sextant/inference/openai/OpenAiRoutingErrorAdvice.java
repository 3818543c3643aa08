package dev.sextant.inference.openai;

import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.resource.NoResourceFoundException;

import dev.sextant.support.ProblemDetailsAdvice;

/**
 * Errors raised before a controller is chosen (no such path, wrong method, wrong Content-Type) carry no handler, so
 * the controller-scoped {@link OpenAiErrorAdvice} never sees them: under {@code /v1/} they still answer in OpenAI's
 * error shape, which OpenAI clients parse; everywhere else as the shared problem details.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
public class OpenAiRoutingErrorAdvice {

    private final ProblemDetailsAdvice problems;

    public OpenAiRoutingErrorAdvice(ProblemDetailsAdvice problems) {
        this.problems = problems;
    }

    @ExceptionHandler(NoResourceFoundException.class)
    ResponseEntity<?> noSuchPath(NoResourceFoundException e, HttpServletRequest request) {
        return openAi(request) ? OpenAiErrorAdvice.error(HttpStatus.NOT_FOUND, "invalid_request_error", null, "unknown_url",
                "Unknown endpoint " + request.getMethod() + " " + request.getRequestURI(), null) : problems.noResource(e);
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    ResponseEntity<?> method(HttpRequestMethodNotSupportedException e, HttpServletRequest request) {
        return openAi(request) ? OpenAiErrorAdvice.error(HttpStatus.METHOD_NOT_ALLOWED, "invalid_request_error", null,
                "method_not_allowed", "Method " + e.getMethod() + " is not supported for " + request.getRequestURI()
                        + "; use one of " + e.getSupportedHttpMethods(), null) : problems.method(e);
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<?> mediaType(HttpMediaTypeNotSupportedException e, HttpServletRequest request) {
        return openAi(request) ? unsupportedMediaType(e) : problems.mediaType(e);
    }

    /** The OpenAI-shaped 415 (also what {@link OpenAiErrorAdvice} answers when a controller was already chosen). */
    static ResponseEntity<Map<String, Object>> unsupportedMediaType(HttpMediaTypeNotSupportedException e) {
        return OpenAiErrorAdvice.error(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "invalid_request_error", null, "unsupported_media_type",
                "Content type " + e.getContentType() + " is not supported; send the body as application/json", null);
    }

    private static boolean openAi(HttpServletRequest request) {
        return request.getRequestURI().startsWith("/v1/");
    }
}
