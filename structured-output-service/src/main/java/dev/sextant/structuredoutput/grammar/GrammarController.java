package dev.sextant.structuredoutput.grammar;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.sextant.structuredoutput.compiler.JsonSchemaCompiler;
import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;

/** Contract 3: compile constraints, read them back, fetch the artifact, validate outputs. */
@RestController
@RequestMapping("/v1/grammars")
class GrammarController {

    private final GrammarService grammars;

    GrammarController(GrammarService grammars) {
        this.grammars = grammars;
    }

    @PostMapping
    ResponseEntity<GrammarResponse> compile(@RequestBody GrammarRequest request) {
        GrammarResponse r = grammars.compile(request);
        return ResponseEntity.created(URI.create("/v1/grammars/" + r.id())).body(r);
    }

    @GetMapping("/capabilities")
    Map<String, Object> capabilities() {
        return Map.of(
                "constraints", List.of("json_schema", "regex", "choice", "grammar"),
                "json_schema", Map.of(
                        "drafts", List.of("2020-12", "7"),
                        "enforced_keywords", new TreeSet<>(JsonSchemaCompiler.ENFORCED),
                        "annotations", new TreeSet<>(JsonSchemaCompiler.ANNOTATIONS),
                        "post_validated", List.of("oneOf (exclusivity)", "format date/date-time (calendar)", "enum/const under recursive schemas"),
                        "formats", List.of("date", "date-time", "email", "hostname", "ipv4", "ipv6", "time", "uri", "uuid"),
                        "notes", List.of("properties are generated in schema order", "number bounds must be integers",
                                "uniqueItems: true, not, if/then/else, patternProperties, min/maxProperties, multipleOf, contains, dependent* are refused")),
                "regex", Map.of("dialect", "ECMA-262 subset: classes, \\d \\w \\s, quantifiers incl. {m,n}, alternation, groups, \\uXXXX; no lookaround or backreferences"),
                "grammar", Map.of("dialect", "GBNF (llama.cpp)", "start_rule", "root", "left_recursion", "refused"),
                "whitespace", List.of("compact", "flexible"));
    }

    @GetMapping("/{id}")
    GrammarResponse get(@PathVariable String id) {
        return grammars.get(id).response();
    }

    @GetMapping("/{id}/artifact")
    ResponseEntity<byte[]> artifact(@PathVariable String id) {
        CompiledGrammar c = grammars.get(id);
        return ResponseEntity.ok()
                .contentType(MediaType.APPLICATION_OCTET_STREAM)
                .header(HttpHeaders.ETAG, "\"" + c.response().hash() + "\"")
                .body(c.artifact());
    }

    record ValidateRequest(String output) {
    }

    @PostMapping("/{id}/validate")
    Map<String, Object> validate(@PathVariable String id, @RequestBody ValidateRequest request) {
        CompiledGrammar c = grammars.get(id);
        if (c.jsonSchema() == null) {
            throw new SextantException(ErrorCode.VALIDATION, "id", "only json_schema grammars validate outputs");
        }
        if (request.output() == null) {
            throw new SextantException(ErrorCode.VALIDATION, "output", "'output' is required");
        }
        List<String> errors = OutputValidator.validate(c.jsonSchema(), request.output());
        return Map.of("valid", errors.isEmpty(), "errors", errors);
    }
}
