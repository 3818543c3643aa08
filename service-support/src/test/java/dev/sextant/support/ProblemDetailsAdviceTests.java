package dev.sextant.support;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.json.JacksonJsonHttpMessageConverter;
import org.springframework.http.converter.json.ProblemDetailJacksonMixin;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import com.fasterxml.jackson.annotation.JsonProperty;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

import tools.jackson.databind.json.JsonMapper;

/** Validation failures name each field as the request spelled it, through the real MVC pipeline. */
class ProblemDetailsAdviceTests {

    record Passage(@NotNull String text, @JsonProperty("start_offset") @Min(0) Integer startOffset) {
    }

    record Ask(@JsonProperty("top_k") @Min(1) @Max(20) Integer topK,
            @JsonProperty("passages") @Size(max = 2) List<@Valid @NotNull Passage> passageList) {
    }

    @RestController
    static class AskController {

        @PostMapping("/ask")
        String ask(@Valid @RequestBody Ask ask) {
            return "ok";
        }

        @GetMapping("/items/{item_id}")
        String item(@PathVariable("item_id") @Min(1) long itemId, @RequestParam(name = "top_k", defaultValue = "5") @Max(20) int topK) {
            return "ok";
        }

        /** Constraints on a parameter put the body through method validation too. */
        @PostMapping("/ask/{scope}")
        String scoped(@PathVariable @Size(max = 3) String scope, @Valid @RequestBody Ask ask) {
            return "ok";
        }
    }

    private final JsonMapper json = JsonMapper.builder().addMixIn(ProblemDetail.class, ProblemDetailJacksonMixin.class).build();
    private final MockMvc mvc = MockMvcBuilders.standaloneSetup(new AskController())
            .setControllerAdvice(new ProblemDetailsAdvice(new StaticListableBeanFactory(Map.of("jsonMapper", json)).getBeanProvider(JsonMapper.class)))
            .setMessageConverters(new JacksonJsonHttpMessageConverter(json))
            .build();

    @Test
    void namesASnakeCaseBodyFieldAsSent() throws Exception {
        mvc.perform(post("/ask").contentType(MediaType.APPLICATION_JSON).content("{\"top_k\": 50}"))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.field").value("top_k"))
                .andExpect(jsonPath("$.detail").value("top_k: must be less than or equal to 20"));
    }

    @Test
    void namesANestedFieldInAListAsSent() throws Exception {
        mvc.perform(post("/ask").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"passages\": [{\"text\": \"a\", \"start_offset\": 0}, {\"text\": \"b\", \"start_offset\": -1}]}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.field").value("passages[1].start_offset"))
                .andExpect(jsonPath("$.detail").value("passages[1].start_offset: must be greater than or equal to 0"));
    }

    @Test
    void namesAWronglyTypedNestedFieldWithItsIndex() throws Exception {
        mvc.perform(post("/ask").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"passages\": [{\"text\": \"a\", \"start_offset\": \"zero\"}]}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.code").value("malformed-body"))
                .andExpect(jsonPath("$.field").value("passages[0].start_offset"));
    }

    @Test
    void namesQueryAndPathParametersAsTheRequestDoes() throws Exception {
        mvc.perform(get("/items/7").param("top_k", "21"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.field").value("top_k"))
                .andExpect(jsonPath("$.detail").value("top_k: must be less than or equal to 20"));
        mvc.perform(get("/items/0"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.field").value("item_id"));
    }

    @Test
    void namesBodyFieldsAsSentUnderMethodValidation() throws Exception {
        mvc.perform(post("/ask/ok").contentType(MediaType.APPLICATION_JSON).content("{\"top_k\": 0}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.field").value("top_k"))
                .andExpect(jsonPath("$.detail").value("top_k: must be greater than or equal to 1"));
    }
}
