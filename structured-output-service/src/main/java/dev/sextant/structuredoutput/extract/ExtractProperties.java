package dev.sextant.structuredoutput.extract;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Extraction settings ({@code sextant.structured-output.extract.*}); the model runs in inference-service at
 * {@code sextant.structured-output.inference-url}.
 *
 * @param timeout   longest wait for one generation (connect + answer)
 * @param maxTokens output budget when the request names none
 */
@ConfigurationProperties("sextant.structured-output.extract")
public record ExtractProperties(@DefaultValue("120s") Duration timeout, @DefaultValue("512") int maxTokens) {
}
