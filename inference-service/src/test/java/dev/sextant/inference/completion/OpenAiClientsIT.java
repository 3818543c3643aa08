package dev.sextant.inference.completion;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;

import dev.sextant.inference.gguf.SharedData;

/** Clients written by others, unmodified, against the live server: OpenAI's Java SDK and Spring AI's ChatClient. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OpenAiClientsIT {

    @DynamicPropertySource
    static void model(DynamicPropertyRegistry registry) {
        registry.add("sextant.inference.default-model", () -> SharedData.file("models/stories260K.gguf").toString());
        registry.add("sextant.inference.threads", () -> "2");
    }

    @LocalServerPort
    int port;

    private OpenAIClient sdk() {
        return OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + port + "/v1").apiKey("not-needed").build();
    }

    private ChatCompletionCreateParams params() {
        return ChatCompletionCreateParams.builder().model("stories260K").addUserMessage("Tell me a story")
                .maxCompletionTokens(12).temperature(0.0).build();
    }

    @Test
    void openAiJavaSdkChats() {
        ChatCompletion completion = sdk().chat().completions().create(params());
        assertThat(completion.choices()).hasSize(1);
        assertThat(completion.choices().getFirst().message().content()).hasValueSatisfying(c -> assertThat(c).isNotBlank());
        assertThat(completion.usage()).hasValueSatisfying(u -> assertThat(u.completionTokens()).isEqualTo(12));
    }

    @Test
    void openAiJavaSdkStreamsTheSameText() {
        String whole = sdk().chat().completions().create(params()).choices().getFirst().message().content().orElseThrow();
        String streamed;
        try (StreamResponse<ChatCompletionChunk> stream = sdk().chat().completions().createStreaming(params())) {
            streamed = stream.stream().flatMap(chunk -> chunk.choices().stream())
                    .map(choice -> choice.delta().content().orElse("")).collect(Collectors.joining());
        }
        assertThat(streamed).isEqualTo(whole);
    }

    @Test
    void springAiChatClientCallsAndStreams() {
        OpenAiChatModel model = OpenAiChatModel.builder().options(OpenAiChatOptions.builder()
                .baseUrl("http://127.0.0.1:" + port + "/v1").apiKey("not-needed").model("stories260K")
                .temperature(0.0).maxTokens(12).build()).build();
        ChatClient client = ChatClient.create(model);
        String called = client.prompt().user("Tell me a story").call().content();
        assertThat(called).isNotBlank();
        List<String> pieces = client.prompt().user("Tell me a story").stream().content().collectList().block();
        assertThat(String.join("", pieces)).isEqualTo(called);
    }
}
