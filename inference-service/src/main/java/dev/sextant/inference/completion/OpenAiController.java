package dev.sextant.inference.completion;

import dev.sextant.inference.openai.OpenAiException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

import dev.sextant.inference.scheduler.FinishReason;
import dev.sextant.inference.scheduler.GenerationEvent;
import dev.sextant.inference.tokenizer.Tokenizer;
import tools.jackson.databind.json.JsonMapper;

/**
 * OpenAI-compatible {@code POST /v1/chat/completions} and {@code POST /v1/completions}, streamed (SSE) or not.
 * A client that goes away mid-stream cancels its sequence; the scheduler frees its KV blocks at the next step.
 */
@RestController
public class OpenAiController {

    private final CompletionService completions;
    private final JsonMapper json;

    public OpenAiController(CompletionService completions, JsonMapper json) {
        this.completions = completions;
        this.json = json;
    }

    @PostMapping(path = "/v1/chat/completions", consumes = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<StreamingResponseBody> chat(@RequestBody ChatCompletionRequest request) {
        CompletionService.Started started = completions.chat(request);
        boolean includeUsage = request.streamOptions() != null && Boolean.TRUE.equals(request.streamOptions().includeUsage());
        return respond(started, Boolean.TRUE.equals(request.stream()), includeUsage, true);
    }

    @PostMapping(path = "/v1/completions", consumes = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<StreamingResponseBody> completion(@RequestBody CompletionRequest request) {
        CompletionService.Started started = completions.completion(request);
        boolean includeUsage = request.streamOptions() != null && Boolean.TRUE.equals(request.streamOptions().includeUsage());
        return respond(started, Boolean.TRUE.equals(request.stream()), includeUsage, false);
    }

    private ResponseEntity<StreamingResponseBody> respond(CompletionService.Started started, boolean stream, boolean includeUsage, boolean chat) {
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        if (stream) {
            StreamingResponseBody body = out -> stream(out, started, id, created, includeUsage, chat);
            return ResponseEntity.ok().contentType(MediaType.TEXT_EVENT_STREAM).header("Cache-Control", "no-cache")
                    .header("X-Accel-Buffering", "no").body(body);
        }
        // collected here, before the status is sent, so a failed generation still gets its error status
        byte[] json = this.json.writeValueAsBytes(collect(started, id, created, chat));
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).contentLength(json.length).body(out -> out.write(json));
    }

    private Map<String, Object> collect(CompletionService.Started started, String id, long created, boolean chat) {
        StringBuilder text = new StringBuilder();
        List<Map<String, Object>> logprobs = new ArrayList<>();
        try {
            while (true) {
                GenerationEvent event = started.events().poll(1, TimeUnit.HOURS);
                switch (event) {
                    case GenerationEvent.Token t -> {
                        text.append(t.text());
                        if (!Float.isNaN(t.logprob())) {
                            logprobs.add(logprob(t, started.model().tokenizer()));
                        }
                    }
                    case GenerationEvent.Finished f -> {
                        checkOutput(started, f, text.toString());
                        Map<String, Object> choice = new LinkedHashMap<>();
                        choice.put("index", 0);
                        if (chat) {
                            choice.put("message", Map.of("role", "assistant", "content", text.toString()));
                            choice.put("logprobs", logprobs.isEmpty() ? null : Map.of("content", logprobs));
                        } else {
                            choice.put("text", text.toString());
                            choice.put("logprobs", logprobs.isEmpty() ? null : Map.of("content", logprobs));
                        }
                        choice.put("finish_reason", f.reason().wireName());
                        return envelope(id, created, started, chat ? "chat.completion" : "text_completion",
                                List.of(choice), usage(f));
                    }
                    case GenerationEvent.Failed failed -> throw new OpenAiException(HttpStatus.SERVICE_UNAVAILABLE,
                            "server_error", null, "generation_failed", failed.message());
                    case null -> throw new OpenAiException(HttpStatus.GATEWAY_TIMEOUT, "server_error", null, "timeout",
                            "generation did not finish");
                }
            }
        } catch (InterruptedException e) {
            started.handle().cancel();
            Thread.currentThread().interrupt();
            throw new OpenAiException(HttpStatus.SERVICE_UNAVAILABLE, "server_error", null, "interrupted", "interrupted");
        }
    }

    /**
     * A JSON-schema output that ended on its own (not cut by max_tokens) is validated against the original schema
     * before it is returned; empty when valid or when there is nothing to validate.
     */
    private List<String> outputErrors(CompletionService.Started started, GenerationEvent.Finished f, String text) {
        if (started.constraint() == null || f.reason() != FinishReason.STOP) {
            return List.of();
        }
        return completions.constraints().validate(started.constraint(), text);
    }

    private void checkOutput(CompletionService.Started started, GenerationEvent.Finished f, String text) {
        List<String> errors = outputErrors(started, f, text);
        if (!errors.isEmpty()) {
            throw new OpenAiException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid_output", started.constraint().spec().param(),
                    "output_failed_validation", "The constrained output does not validate against the schema: " + errors);
        }
    }

    private void stream(OutputStream out, CompletionService.Started started, String id, long created, boolean includeUsage,
            boolean chat) throws IOException {
        String object = chat ? "chat.completion.chunk" : "text_completion";
        boolean first = true;
        StringBuilder streamed = new StringBuilder();
        try {
            while (true) {
                GenerationEvent event = started.events().poll(1, TimeUnit.HOURS);
                if (event == null) {
                    break;
                }
                if (event instanceof GenerationEvent.Failed failed) {
                    write(out, Map.of("error", Map.of("message", failed.message(), "type", "server_error")));
                    break;
                }
                if (event instanceof GenerationEvent.Token t) {
                    streamed.append(t.text());
                    Map<String, Object> choice = new LinkedHashMap<>();
                    choice.put("index", 0);
                    if (chat) {
                        Map<String, Object> delta = new HashMap<>();
                        if (first) {
                            delta.put("role", "assistant");
                        }
                        delta.put("content", t.text());
                        choice.put("delta", delta);
                    } else {
                        choice.put("text", t.text());
                    }
                    choice.put("logprobs", Float.isNaN(t.logprob()) ? null
                            : Map.of("content", List.of(logprob(t, started.model().tokenizer()))));
                    choice.put("finish_reason", null);
                    write(out, envelope(id, created, started, object, List.of(choice), null));
                    first = false;
                }
                if (event instanceof GenerationEvent.Finished f) {
                    List<String> errors = outputErrors(started, f, streamed.toString());
                    if (!errors.isEmpty()) {
                        write(out, Map.of("error", Map.of("message", "The constrained output does not validate: " + errors,
                                "type", "invalid_output", "code", "output_failed_validation")));
                    }
                    Map<String, Object> choice = new LinkedHashMap<>();
                    choice.put("index", 0);
                    if (chat) {
                        choice.put("delta", first ? Map.of("role", "assistant", "content", "") : Map.of());
                    } else {
                        choice.put("text", "");
                    }
                    choice.put("logprobs", null);
                    choice.put("finish_reason", f.reason().wireName());
                    write(out, envelope(id, created, started, object, List.of(choice), null));
                    if (includeUsage) {
                        write(out, envelope(id, created, started, object, List.of(), usage(f)));
                    }
                    break;
                }
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            // the client went away: the scheduler frees the sequence at its next step; nothing to answer
            started.handle().cancel();
        } catch (InterruptedException e) {
            started.handle().cancel();
            Thread.currentThread().interrupt();
        }
    }

    private void write(OutputStream out, Object chunk) throws IOException {
        out.write(("data: " + json.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static Map<String, Object> envelope(String id, long created, CompletionService.Started started, String object,
            List<Map<String, Object>> choices, Map<String, Object> usage) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("object", object);
        body.put("created", created);
        body.put("model", started.model().id());
        body.put("system_fingerprint", "sextant-" + started.model().id());
        body.put("choices", choices);
        if (usage != null) {
            body.put("usage", usage);
        }
        return body;
    }

    private static Map<String, Object> usage(GenerationEvent.Finished f) {
        return Map.of("prompt_tokens", f.promptTokens(), "completion_tokens", f.completionTokens(),
                "total_tokens", f.promptTokens() + f.completionTokens());
    }

    private static Map<String, Object> logprob(GenerationEvent.Token t, Tokenizer tokenizer) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("token", t.text());
        entry.put("logprob", t.logprob());
        List<Map<String, Object>> top = new ArrayList<>();
        if (t.topTokens() != null) {
            for (int i = 0; i < t.topTokens().length; i++) {
                top.add(Map.of("token", new String(tokenizer.tokenBytes(t.topTokens()[i]), StandardCharsets.UTF_8),
                        "logprob", t.topLogprobs()[i]));
            }
        }
        entry.put("top_logprobs", top);
        return entry;
    }
}
