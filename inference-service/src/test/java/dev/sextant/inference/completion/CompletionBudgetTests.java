package dev.sextant.inference.completion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.sextant.inference.openai.OpenAiException;

/** How many tokens a request may generate in a context of 512, or why it is refused (table-driven). */
class CompletionBudgetTests {

    private static final int CONTEXT = 512;

    @ParameterizedTest(name = "prompt {0}, requested {1}, default {2} -> {3}")
    @CsvSource(nullValues = "none", value = {
            "100, 412,  16,         412", // exactly fills the context
            "100, 1,    16,         1",
            "100, none, 16,         16",  // the default, when it fits
            "500, none, 16,         12",  // the default, cut to what fits
            "511, none, 16,         1",
            "100, none, 2147483647, 412", // chat without max_tokens: up to what fits
    })
    void grantsWhatFits(int prompt, Integer requested, int byDefault, int granted) {
        assertThat(CompletionService.maxTokens(CONTEXT, prompt,
                new CompletionService.Budget("prompt", "max_tokens", requested, byDefault))).isEqualTo(granted);
    }

    @ParameterizedTest(name = "prompt {0}, requested {1} -> {2}")
    @CsvSource(nullValues = "none", value = {
            "100, 413,        max_tokens, 'you requested 513 tokens (100 in the messages, 413 in the completion)'",
            "511, 2,          max_tokens, 'you requested 513 tokens (511 in the messages, 2 in the completion)'",
            "100, 2147483647, max_tokens, 'you requested 2147483747 tokens (100 in the messages, 2147483647 in the completion)'",
            "512, none,       messages,   'your messages resulted in 512 tokens, leaving none for the completion'",
            "512, 1,          messages,   'your messages resulted in 512 tokens'",
            "900, 16,         messages,   'your messages resulted in 900 tokens'",
    })
    void refusesWhatDoesNotFitNamingTheNumbers(int prompt, Integer requested, String param, String words) {
        assertThatThrownBy(() -> CompletionService.maxTokens(CONTEXT, prompt,
                new CompletionService.Budget("messages", "max_tokens", requested, Integer.MAX_VALUE)))
                .isInstanceOfSatisfying(ContextLengthExceededException.class, e -> {
                    assertThat(e.param()).isEqualTo(param);
                    assertThat(e.contextLength()).isEqualTo(CONTEXT);
                    assertThat(e.promptTokens()).isEqualTo(prompt);
                    assertThat(e.completionTokens()).isEqualTo(param.equals("messages") ? null : requested);
                    assertThat(e.getMessage()).startsWith("This model's maximum context length is 512 tokens. However, ")
                            .contains(words);
                });
    }

    @ParameterizedTest
    @CsvSource({"100, 0", "600, 0", "100, -3"})
    void refusesABudgetBelowOneByItsOwnName(int prompt, int requested) {
        assertThatThrownBy(() -> CompletionService.maxTokens(CONTEXT, prompt,
                new CompletionService.Budget("text", "max_new_tokens", requested, 128)))
                .isInstanceOfSatisfying(OpenAiException.class, e -> assertThat(e.param()).isEqualTo("max_new_tokens"));
    }

    @ParameterizedTest
    @CsvSource({"100, 413, 'or set max_tokens to at most 412.'", "511, 9, 'or set max_tokens to at most 1.'"})
    void saysHowFarToLowerTheBudget(int prompt, int requested, String advice) {
        assertThatThrownBy(() -> CompletionService.maxTokens(CONTEXT, prompt,
                new CompletionService.Budget("prompt", "max_tokens", requested, 16)))
                .hasMessageEndingWith("Please reduce the length of the prompt " + advice);
    }
}
