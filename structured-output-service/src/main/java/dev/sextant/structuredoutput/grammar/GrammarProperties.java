package dev.sextant.structuredoutput.grammar;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Compiler limits and where vocabularies come from ({@code sextant.structured-output.*}).
 *
 * @param inferenceUrl    base URL of inference-service (vocabularies)
 * @param compileTimeout  wall-clock budget of one compile, token tables included
 * @param maxStates       automaton states one constraint may use
 * @param maxArtifactBytes largest artifact kept and served
 * @param compileThreads  size of the compile pool (compiles are CPU-bound)
 * @param compileQueue    compiles waiting beyond that before 503
 * @param cacheSize       compiled artifacts kept (LRU)
 */
@ConfigurationProperties("sextant.structured-output")
public record GrammarProperties(String inferenceUrl, Duration compileTimeout, int maxStates, long maxArtifactBytes,
        int compileThreads, int compileQueue, int cacheSize) {
}
