package dev.sextant.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

class JsonFieldNamesTests {

    record Search(
            String query,
            @JsonProperty("top_k") Integer topK,
            Filters filters,
            @JsonProperty("passages") List<Passage> passageList,
            Map<String, Passage> byId,
            Passage[] extra,
            List<List<Passage>> groups,
            JsonNode raw,
            @JsonIgnore String internalNote) {
    }

    record Filters(@JsonProperty("min_score") Double minScore, String dept) {
    }

    record Passage(@JsonProperty("text") String body, @JsonProperty("start_offset") Integer startOffset) {
    }

    /** A plain bean, not a record: the name comes from the getter's annotation. */
    static class Bean {
        private int maxTokens;

        @JsonProperty("max_tokens")
        public int getMaxTokens() {
            return maxTokens;
        }

        public void setMaxTokens(int maxTokens) {
            this.maxTokens = maxTokens;
        }
    }

    private final JsonFieldNames names = new JsonFieldNames(JsonMapper.builder().build());

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            topK                          | top_k
            query                         | query
            filters.minScore              | filters.min_score
            filters.dept                  | filters.dept
            passageList                   | passages
            passageList[0]                | passages[0]
            passageList[3].body           | passages[3].text
            passageList[3].startOffset    | passages[3].start_offset
            byId[a.b].startOffset         | byId[a.b].start_offset
            extra[1].body                 | extra[1].text
            groups[0][2].startOffset      | groups[0][2].start_offset
            raw.someField                 | raw.someField
            internalNote                  | internalNote
            noSuchProperty.startOffset    | noSuchProperty.startOffset
            """)
    void namesRecordPropertiesAsTheJsonDoes(String javaPath, String jsonPath) {
        assertThat(names.of(Search.class, javaPath)).isEqualTo(jsonPath);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            topK                          | top_k
            filters.minScore              | filters.min_score
            passageList[0].startOffset    | passages[0].start_offset
            byId                          | by_id
            """)
    void followsTheMappersNamingStrategy(String javaPath, String jsonPath) {
        JsonFieldNames snake = new JsonFieldNames(JsonMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build());
        assertThat(snake.of(Search.class, javaPath)).isEqualTo(jsonPath);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            maxTokens | max_tokens
            """)
    void namesBeanPropertiesByTheirAccessors(String javaPath, String jsonPath) {
        assertThat(names.of(Bean.class, javaPath)).isEqualTo(jsonPath);
    }

    @ParameterizedTest(name = "{0} unchanged")
    @CsvSource(delimiter = '|', textBlock = """
            topK
            [0].startOffset
            """)
    void leavesPathsOfNonBeansAsTheyAre(String javaPath) {
        assertThat(names.of(String.class, javaPath)).isEqualTo(javaPath);
        assertThat(names.of(Map.class, javaPath)).isEqualTo(javaPath);
    }
}
