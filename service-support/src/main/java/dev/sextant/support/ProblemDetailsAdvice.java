package dev.sextant.support;

import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.MessageSourceResolvable;
import org.springframework.core.MethodParameter;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.validation.BindingResult;
import org.springframework.validation.FieldError;
import org.springframework.validation.method.ParameterErrors;
import org.springframework.validation.method.ParameterValidationResult;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.MissingRequestHeaderException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns every failure into {@code application/problem+json} (RFC 9457) with a stable type, the field at fault
 * and the request id. Services with other wire shapes (OpenAI's {@code /v1} endpoints) register an advice of
 * higher precedence for their own controllers.
 */
@RestControllerAdvice
@Order(Ordered.LOWEST_PRECEDENCE)
public class ProblemDetailsAdvice {

    private static final Logger log = LoggerFactory.getLogger(ProblemDetailsAdvice.class);

    private final ObjectProvider<JsonMapper> jsonMappers;
    private volatile JsonFieldNames jsonNames;

    public ProblemDetailsAdvice(ObjectProvider<JsonMapper> jsonMappers) {
        this.jsonMappers = jsonMappers;
    }

    @ExceptionHandler(SextantException.class)
    ResponseEntity<ProblemDetail> sextant(SextantException e) {
        ProblemDetail problem = Problems.of(e.errorCode(), e.field(), e.getMessage());
        e.properties().forEach(problem::setProperty);
        if (e.errorCode().status().is5xxServerError()) {
            log.error("{}: {}", e.errorCode().code(), e.getMessage(), e);
        }
        return respond(problem, e);
    }

    /** A {@code @Valid @RequestBody} that breaks its constraints: each field named as the JSON body names it. */
    @ExceptionHandler(MethodArgumentNotValidException.class)
    ResponseEntity<ProblemDetail> invalid(MethodArgumentNotValidException e) {
        BindingResult result = e.getBindingResult();
        Type body = result.getTarget() != null ? result.getTarget().getClass() : e.getParameter().getGenericParameterType();
        List<Violation> violations = new ArrayList<>();
        addFieldViolations(violations, body, result.getFieldErrors());
        return respond(problem(violations, result.getObjectName(), result.getAllErrors()), null);
    }

    /**
     * Method validation: constraints on {@code @RequestParam}, {@code @PathVariable} or {@code @RequestHeader} values
     * are named as the request names them (the annotation's name, else the parameter's), a body's fields as its JSON
     * names them.
     */
    @ExceptionHandler(HandlerMethodValidationException.class)
    ResponseEntity<ProblemDetail> invalidParameter(HandlerMethodValidationException e) {
        List<Violation> violations = new ArrayList<>();
        for (ParameterValidationResult result : e.getParameterValidationResults()) {
            if (result instanceof ParameterErrors errors && !errors.getFieldErrors().isEmpty()) {
                Type body = result.getArgument() != null ? result.getArgument().getClass()
                        : result.getMethodParameter().getGenericParameterType();
                addFieldViolations(violations, body, errors.getFieldErrors());
            } else {
                String name = result instanceof ParameterErrors ? null : requestName(result);
                result.getResolvableErrors().forEach(x -> violations.add(new Violation(name, x.getDefaultMessage())));
            }
        }
        return respond(problem(violations, null, e.getAllErrors()), null);
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<ProblemDetail> unreadable(HttpMessageNotReadableException e) {
        Throwable cause = e.getMostSpecificCause();
        String field = null;
        String detail = "The request body is not valid JSON for this endpoint";
        if (cause instanceof UnrecognizedPropertyException unknown) {
            field = unknown.getPropertyName();
            detail = "Unknown field '" + unknown.getPropertyName() + "'; remove it";
        } else if (cause instanceof MismatchedInputException mismatch && !mismatch.getPath().isEmpty()) {
            field = jsonPath(mismatch);
            detail = "Field '" + field + "' has the wrong type: " + firstLine(mismatch.getOriginalMessage());
        } else if (cause != null && cause.getMessage() != null) {
            detail = detail + ": " + firstLine(cause.getMessage());
        }
        return respond(Problems.of(ErrorCode.MALFORMED_BODY, field, detail), null);
    }

    @ExceptionHandler(MissingServletRequestParameterException.class)
    ResponseEntity<ProblemDetail> missingParameter(MissingServletRequestParameterException e) {
        return respond(Problems.of(ErrorCode.MISSING_PARAMETER, e.getParameterName(),
                "Query parameter '" + e.getParameterName() + "' is required"), null);
    }

    @ExceptionHandler(MissingRequestHeaderException.class)
    ResponseEntity<ProblemDetail> missingHeader(MissingRequestHeaderException e) {
        return respond(Problems.of(ErrorCode.MISSING_PARAMETER, e.getHeaderName(),
                "Header '" + e.getHeaderName() + "' is required"), null);
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<ProblemDetail> typeMismatch(MethodArgumentTypeMismatchException e) {
        return respond(Problems.of(ErrorCode.VALIDATION, e.getName(),
                "Parameter '" + e.getName() + "' has an invalid value '" + e.getValue() + "'"), null);
    }

    @ExceptionHandler(NoResourceFoundException.class)
    public ResponseEntity<ProblemDetail> noResource(NoResourceFoundException e) {
        return respond(Problems.of(ErrorCode.NOT_FOUND, null, "No endpoint " + e.getHttpMethod() + " /" + e.getResourcePath()), null);
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    public ResponseEntity<ProblemDetail> method(HttpRequestMethodNotSupportedException e) {
        return respond(Problems.of(ErrorCode.METHOD_NOT_ALLOWED, null,
                "Method " + e.getMethod() + " is not supported here; use one of " + e.getSupportedHttpMethods()), null);
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    public ResponseEntity<ProblemDetail> mediaType(HttpMediaTypeNotSupportedException e) {
        return respond(Problems.of(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Content-Type",
                "Content type " + e.getContentType() + " is not supported; use one of " + e.getSupportedMediaTypes()), null);
    }

    @ExceptionHandler(HttpMediaTypeNotAcceptableException.class)
    ResponseEntity<ProblemDetail> notAcceptable(HttpMediaTypeNotAcceptableException e) {
        return respond(Problems.of(ErrorCode.NOT_ACCEPTABLE, "Accept",
                "Cannot produce the requested media type; supported: " + e.getSupportedMediaTypes()), null);
    }

    @ExceptionHandler(MaxUploadSizeExceededException.class)
    ResponseEntity<ProblemDetail> tooLarge(MaxUploadSizeExceededException e) {
        return respond(Problems.of(ErrorCode.PAYLOAD_TOO_LARGE, "file",
                "Upload exceeds the size limit (" + e.getMaxUploadSize() + " bytes)"), null);
    }

    /** A multipart body that cannot be parsed (no boundary, truncated, malformed parts): the client's fault. */
    @ExceptionHandler(MultipartException.class)
    ResponseEntity<ProblemDetail> badMultipart(MultipartException e) {
        Throwable cause = e.getMostSpecificCause();
        String reason = cause != null && cause != e && cause.getMessage() != null ? ": " + firstLine(cause.getMessage()) : "";
        return respond(Problems.of(ErrorCode.MALFORMED_BODY, "Content-Type",
                "The multipart body cannot be parsed" + reason + "; send multipart/form-data with a boundary and complete parts"), null);
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        log.error("Unhandled error", e);
        return respond(Problems.of(ErrorCode.INTERNAL, null, "Unexpected error; quote the request id when reporting it"), null);
    }

    /** Where Jackson stopped, in the form validation problems use: {@code passages[0].start_offset}. */
    private static String jsonPath(MismatchedInputException mismatch) {
        StringBuilder path = new StringBuilder();
        for (JacksonException.Reference r : mismatch.getPath()) {
            if (r.getPropertyName() != null) {
                path.append(path.isEmpty() ? "" : ".").append(r.getPropertyName());
            } else {
                path.append('[').append(r.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    /** One broken constraint: the field as the client names it, and what is wrong with it. */
    private record Violation(String field, String message) {
    }

    /** Field errors of a body of type {@code body}, each named as its JSON names it. */
    private void addFieldViolations(List<Violation> violations, Type body, List<FieldError> errors) {
        errors.forEach(f -> violations.add(new Violation(jsonNames().of(body, f.getField()), f.getDefaultMessage())));
    }

    /**
     * The first field at fault, and every violation in the detail; with none (only object-level errors), the field
     * {@code fallbackField} and every error's message.
     */
    private static ProblemDetail problem(List<Violation> violations, String fallbackField, List<? extends MessageSourceResolvable> all) {
        if (violations.isEmpty()) {
            String detail = all.stream().map(MessageSourceResolvable::getDefaultMessage).collect(Collectors.joining("; "));
            return Problems.of(ErrorCode.VALIDATION, fallbackField, detail);
        }
        String detail = violations.stream().map(v -> v.field() == null ? v.message() : v.field() + ": " + v.message())
                .collect(Collectors.joining("; "));
        String field = violations.stream().map(Violation::field).filter(f -> f != null).findFirst().orElse(null);
        return Problems.of(ErrorCode.VALIDATION, field, detail);
    }

    /** The name a request gives a method parameter: {@code @RequestParam("top_k") int topK} is {@code top_k}. */
    private static String requestName(ParameterValidationResult result) {
        MethodParameter parameter = result.getMethodParameter();
        String name = null;
        if (parameter.getParameterAnnotation(RequestParam.class) instanceof RequestParam a) {
            name = a.name();
        } else if (parameter.getParameterAnnotation(PathVariable.class) instanceof PathVariable a) {
            name = a.name();
        } else if (parameter.getParameterAnnotation(RequestHeader.class) instanceof RequestHeader a) {
            name = a.name();
        } else if (parameter.getParameterAnnotation(RequestPart.class) instanceof RequestPart a) {
            name = a.name();
        }
        if (name == null || name.isEmpty()) {
            name = parameter.getParameterName();
        }
        if (result.getContainerIndex() != null) {
            return name + "[" + result.getContainerIndex() + "]";
        }
        if (result.getContainerKey() != null) {
            return name + "[" + result.getContainerKey() + "]";
        }
        return name;
    }

    /** Resolved on first use: the mapper that reads request bodies, so its names and naming strategy are the ones the client used. */
    private JsonFieldNames jsonNames() {
        JsonFieldNames names = jsonNames;
        if (names == null) {
            names = new JsonFieldNames(jsonMappers.getIfUnique(JsonMapper::shared));
            jsonNames = names;
        }
        return names;
    }

    private static ResponseEntity<ProblemDetail> respond(ProblemDetail problem, SextantException e) {
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        if (e != null && e.properties().get("retryAfterSeconds") instanceof Number seconds) {
            headers.set(HttpHeaders.RETRY_AFTER, String.valueOf(seconds.longValue()));
        }
        return new ResponseEntity<>(problem, headers, HttpStatusCode.valueOf(problem.getStatus()));
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
