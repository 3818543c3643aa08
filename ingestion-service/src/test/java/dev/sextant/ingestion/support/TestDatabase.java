package dev.sextant.ingestion.support;

import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The PostgreSQL the tests use: {@code SEXTANT_TEST_INGESTION_DB_URL} with {@code SEXTANT_TEST_DB_USER} and
 * {@code SEXTANT_TEST_DB_PASSWORD} (CI and the lead's set-up export them). Each test class gets its own schema, so
 * the workers of one cached Spring context never take another class's jobs. Without the URL the tests fail,
 * saying so: there is no Docker engine here for Testcontainers.
 */
public final class TestDatabase {

    public static final String URL_VARIABLE = "SEXTANT_TEST_INGESTION_DB_URL";

    private TestDatabase() {
    }

    public static String url() {
        String url = System.getenv(URL_VARIABLE);
        if (url == null || url.isBlank()) {
            throw new IllegalStateException(URL_VARIABLE + " is not set: the ingestion integration tests need "
                    + "PostgreSQL (e.g. jdbc:postgresql://127.0.0.1:5432/sextant_ingestion_test with "
                    + "SEXTANT_TEST_DB_USER/SEXTANT_TEST_DB_PASSWORD)");
        }
        return url;
    }

    public static String user() {
        return env("SEXTANT_TEST_DB_USER", "sextant");
    }

    public static String password() {
        return env("SEXTANT_TEST_DB_PASSWORD", "sextant");
    }

    /** A JDBC URL whose connections work in {@code schema}. */
    public static String url(String schema) {
        String url = url();
        return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    /** Points the service at {@code schema}, which Flyway creates and migrates; tests empty its tables themselves. */
    public static void register(DynamicPropertyRegistry registry, String schema) {
        registry.add("spring.datasource.url", () -> url(schema));
        registry.add("spring.datasource.username", TestDatabase::user);
        registry.add("spring.datasource.password", TestDatabase::password);
        registry.add("spring.flyway.schemas", () -> schema);
        registry.add("spring.flyway.default-schema", () -> schema);
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
