package dev.sextant.inference.constraint;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import tools.jackson.databind.JsonNode;

/**
 * One output constraint as a request states it: exactly one of a JSON Schema, a regex, a choice list or a GBNF
 * grammar. {@code param} is the request field it came from, for error messages.
 */
public record ConstraintSpec(String param, JsonNode jsonSchema, String regex, List<String> choice, String grammar) {

    public static ConstraintSpec jsonSchema(String param, JsonNode schema) {
        return new ConstraintSpec(param, schema, null, null, null);
    }

    public static ConstraintSpec regex(String param, String regex) {
        return new ConstraintSpec(param, null, regex, null, null);
    }

    public static ConstraintSpec choice(String param, List<String> choice) {
        return new ConstraintSpec(param, null, null, List.copyOf(choice), null);
    }

    public static ConstraintSpec grammar(String param, String grammar) {
        return new ConstraintSpec(param, null, null, null, grammar);
    }

    public boolean isJsonSchema() {
        return jsonSchema != null;
    }

    /** The body of structured-output-service's {@code POST /v1/grammars} (contract 3). */
    Map<String, Object> compileRequest(String model) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", model);
        if (jsonSchema != null) {
            body.put("json_schema", jsonSchema);
        } else if (regex != null) {
            body.put("regex", regex);
        } else if (choice != null) {
            body.put("choice", choice);
        } else {
            body.put("grammar", grammar);
        }
        return body;
    }
}
