package dev.sextant.inference.takeoff;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

import dev.sextant.inference.completion.ContextLengthExceededException;
import dev.sextant.inference.openai.OpenAiException;
import dev.sextant.inference.constraint.ConstraintRejectedException;
import dev.sextant.inference.model.ModelNotFoundException;
import dev.sextant.inference.sampling.InvalidSamplingParameterException;
import dev.sextant.inference.scheduler.QueueFullException;
import dev.sextant.support.ErrorCode;
import dev.sextant.support.Problems;

/** The Takeoff endpoints answer in the platform's problem+json shape. */
@RestControllerAdvice(basePackageClasses = TakeoffController.class)
@Order(Ordered.HIGHEST_PRECEDENCE)
class TakeoffErrorAdvice {

    static final ErrorCode MODEL_NOT_FOUND = ErrorCode.of("model-not-found", HttpStatus.NOT_FOUND, "No such model or consumer group");
    static final ErrorCode CONSTRAINT_REJECTED = ErrorCode.of("constraint-rejected", HttpStatus.BAD_REQUEST, "Constraint cannot be enforced");
    static final ErrorCode CONTEXT_LENGTH_EXCEEDED = ErrorCode.of("context-length-exceeded", HttpStatus.BAD_REQUEST,
            "Prompt and completion do not fit the model's context");
    static final ErrorCode QUEUE_FULL = ErrorCode.of("queue-full", HttpStatus.TOO_MANY_REQUESTS, "Too many requests waiting");

    @ExceptionHandler(ModelNotFoundException.class)
    ResponseEntity<ProblemDetail> notFound(ModelNotFoundException e) {
        return respond(Problems.of(MODEL_NOT_FOUND, "consumer_group", e.getMessage()), null);
    }

    /** The numbers travel as properties too: contextLength, promptTokens and, when one was asked for, maxNewTokens. */
    @ExceptionHandler(ContextLengthExceededException.class)
    ResponseEntity<ProblemDetail> contextLength(ContextLengthExceededException e) {
        ProblemDetail problem = Problems.of(CONTEXT_LENGTH_EXCEEDED, e.param(), e.getMessage());
        problem.setProperty("contextLength", e.contextLength());
        problem.setProperty("promptTokens", e.promptTokens());
        if (e.completionTokens() != null) {
            problem.setProperty("maxNewTokens", e.completionTokens());
        }
        return respond(problem, null);
    }

    @ExceptionHandler(ConstraintRejectedException.class)
    ResponseEntity<ProblemDetail> constraint(ConstraintRejectedException e) {
        if (e.unavailable()) {
            return respond(Problems.of(ErrorCode.UPSTREAM_UNAVAILABLE, e.param(), e.getMessage()), 5);
        }
        return respond(Problems.of(CONSTRAINT_REJECTED, e.param(), e.getMessage()), null);
    }

    @ExceptionHandler(QueueFullException.class)
    ResponseEntity<ProblemDetail> queueFull(QueueFullException e) {
        return respond(Problems.of(QUEUE_FULL, null, e.getMessage()), e.retryAfterSeconds());
    }

    @ExceptionHandler(InvalidSamplingParameterException.class)
    ResponseEntity<ProblemDetail> sampling(InvalidSamplingParameterException e) {
        String field = switch (e.parameter()) {
            case "temperature" -> "sampling_temperature";
            case "top_p" -> "sampling_topp";
            case "top_k" -> "sampling_topk";
            default -> e.parameter();
        };
        return respond(Problems.of(ErrorCode.VALIDATION, field, e.getMessage().replace(e.parameter(), field)), null);
    }

    @ExceptionHandler({OpenAiException.class, IllegalArgumentException.class})
    ResponseEntity<ProblemDetail> invalid(RuntimeException e) {
        String field = e instanceof OpenAiException o ? o.param() : null;
        return respond(Problems.of(ErrorCode.VALIDATION, field, e.getMessage()), null);
    }

    private static ResponseEntity<ProblemDetail> respond(ProblemDetail problem, Integer retryAfter) {
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        if (retryAfter != null) {
            headers.set(HttpHeaders.RETRY_AFTER, retryAfter.toString());
        }
        return new ResponseEntity<>(problem, headers, HttpStatus.valueOf(problem.getStatus()));
    }
}
