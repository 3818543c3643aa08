package dev.sextant.structuredoutput.grammar;

/** A cached compile: the response, the artifact bytes, and the JSON schema text for output validation (or null). */
record CompiledGrammar(GrammarResponse response, byte[] artifact, String jsonSchema) {
}
