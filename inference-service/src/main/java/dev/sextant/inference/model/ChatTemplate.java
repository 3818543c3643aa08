package dev.sextant.inference.model;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

/**
 * A model's chat template (Jinja, from GGUF {@code tokenizer.chat_template} or tokenizer_config.json) rendered
 * with Jinjava. Models without one get {@link #DEFAULT_TEMPLATE}, a plain "role: content" transcript.
 */
public final class ChatTemplate {

    /** Used when the model ships no template. */
    public static final String DEFAULT_TEMPLATE = """
            {%- for message in messages -%}
            {{ message['role'] }}: {{ message['content'] }}
            {% endfor -%}
            {%- if add_generation_prompt %}assistant:{% endif -%}""";

    private final String source;
    private final boolean fromModel;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    public ChatTemplate(String source, String bosToken, String eosToken) {
        this.fromModel = source != null && !source.isBlank();
        this.source = fromModel ? source : DEFAULT_TEMPLATE;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withFailOnUnknownTokens(false).build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                ChatTemplate.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                ChatTemplate.class, "strftimeNow", String.class));
    }

    public boolean fromModel() {
        return fromModel;
    }

    /** Renders the conversation; {@code messages} are maps with at least "role" and "content". */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt) {
        Map<String, Object> context = Map.of(
                "messages", messages,
                "add_generation_prompt", addGenerationPrompt,
                "bos_token", bosToken == null ? "" : bosToken,
                "eos_token", eosToken == null ? "" : eosToken);
        RenderResult result = jinjava.renderForResult(source, context);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new IllegalArgumentException("chat template: " + error.getMessage());
            }
        }
        return result.getOutput();
    }

    public static String raiseException(String message) {
        throw new IllegalArgumentException(message);
    }

    public static String strftimeNow(String format) {
        // the common Llama 3 use is "%d %b %Y"
        String pattern = format.replace("%d", "dd").replace("%b", "MMM").replace("%Y", "yyyy").replace("%m", "MM");
        return LocalDate.now().format(DateTimeFormatter.ofPattern(pattern));
    }
}
