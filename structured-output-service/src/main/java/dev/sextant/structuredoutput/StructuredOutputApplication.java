package dev.sextant.structuredoutput;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Constraint compiler: JSON Schema, regex, choice and grammars to token automata. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class StructuredOutputApplication {

    public static void main(String[] args) {
        SpringApplication.run(StructuredOutputApplication.class, args);
    }
}
