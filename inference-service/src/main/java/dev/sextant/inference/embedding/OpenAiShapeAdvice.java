package dev.sextant.inference.embedding;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

import dev.sextant.inference.vocabulary.VocabularyController;
import dev.sextant.support.RequestIds;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/** OpenAI's error shape for {@code /v1/embeddings} and {@code /v1/models/{model}/vocabulary}, which OpenAI clients parse. */
@RestControllerAdvice(assignableTypes = {EmbeddingController.class, VocabularyController.class})
@Order(Ordered.HIGHEST_PRECEDENCE)
class OpenAiShapeAdvice {

    private static final Logger log = LoggerFactory.getLogger(OpenAiShapeAdvice.class);

    @ExceptionHandler(OpenAiError.class)
    ResponseEntity<Map<String, Object>> openAi(OpenAiError e) {
        return error(e.status(), e.type(), e.param(), e.code(), e.getMessage());
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<Map<String, Object>> unreadable(HttpMessageNotReadableException e) {
        Throwable cause = e.getMostSpecificCause();
        if (cause instanceof UnrecognizedPropertyException unknown) {
            return error(HttpStatus.BAD_REQUEST, "invalid_request_error", unknown.getPropertyName(), "unknown_parameter",
                    "Unrecognized request argument supplied: " + unknown.getPropertyName());
        }
        if (cause instanceof MismatchedInputException mismatch && !mismatch.getPath().isEmpty()) {
            String param = mismatch.getPath().stream()
                    .map(r -> r.getPropertyName() != null ? r.getPropertyName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining("."));
            return error(HttpStatus.BAD_REQUEST, "invalid_request_error", param, "invalid_type", "Invalid type for '" + param + "'");
        }
        String message = String.valueOf(cause.getMessage());
        int nl = message.indexOf('\n');
        return error(HttpStatus.BAD_REQUEST, "invalid_request_error", null, "invalid_json",
                "We could not parse the JSON body of your request: " + (nl < 0 ? message : message.substring(0, nl)));
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<Map<String, Object>> mediaType(HttpMediaTypeNotSupportedException e) {
        return error(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "invalid_request_error", null, "unsupported_media_type",
                "Send the body as application/json");
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<Map<String, Object>> unexpected(Exception e) {
        log.error("unexpected error", e);
        return error(HttpStatus.INTERNAL_SERVER_ERROR, "server_error", null, "internal_error",
                "The server had an error while processing your request; request id " + MDC.get(RequestIds.MDC_KEY));
    }

    private static ResponseEntity<Map<String, Object>> error(HttpStatus status, String type, String param, String code, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("message", message);
        body.put("type", type);
        body.put("param", param);
        body.put("code", code);
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body(Map.of("error", body));
    }
}
