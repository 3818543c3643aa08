package dev.sextant.structuredoutput.grammar;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

import tools.jackson.databind.JsonNode;

/** Contract 3: exactly one of json_schema, regex, choice, grammar. */
public record GrammarRequest(String model, @JsonProperty("json_schema") JsonNode jsonSchema, String regex, List<String> choice,
        String grammar, String whitespace) {
}
