package dev.sextant.retrieval.support;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The PostgreSQL + pgvector that integration tests use: the one named by {@code SEXTANT_TEST_RETRIEVAL_DB_URL}
 * (user and password from {@code SEXTANT_TEST_DB_USER} / {@code SEXTANT_TEST_DB_PASSWORD}), else a Testcontainers
 * pgvector/pgvector:pg16 when a Docker engine exists, else a failure that says what to set. Never a silent skip.
 */
public final class TestDatabase {

    public static final String URL_VARIABLE = "SEXTANT_TEST_RETRIEVAL_DB_URL";

    public record Connection(String url, String user, String password) {
    }

    private static Connection connection;

    private TestDatabase() {
    }

    public static synchronized Connection get() {
        if (connection != null) {
            return connection;
        }
        String url = System.getenv(URL_VARIABLE);
        if (url != null && !url.isBlank()) {
            connection = new Connection(url, env("SEXTANT_TEST_DB_USER", "sextant"), env("SEXTANT_TEST_DB_PASSWORD", "sextant"));
            return connection;
        }
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            docker = false;
        }
        if (!docker) {
            throw new IllegalStateException(URL_VARIABLE + " is not set and no Docker engine is available: set "
                    + URL_VARIABLE + "=jdbc:postgresql://127.0.0.1:5432/sextant_retrieval_test (PostgreSQL with pgvector, "
                    + "a non-superuser owner in SEXTANT_TEST_DB_USER / SEXTANT_TEST_DB_PASSWORD) to run this test");
        }
        @SuppressWarnings("resource")
        PostgreSQLContainer container = new PostgreSQLContainer("pgvector/pgvector:pg16");
        container.start();
        // The container's user is a superuser, which row-level security never binds: run as a plain owner instead,
        // as CI and production do.
        try (var admin = java.sql.DriverManager.getConnection(container.getJdbcUrl(), container.getUsername(), container.getPassword());
                var sql = admin.createStatement()) {
            sql.execute("CREATE EXTENSION IF NOT EXISTS vector");
            sql.execute("CREATE ROLE sextant LOGIN PASSWORD 'sextant' NOSUPERUSER NOBYPASSRLS");
            sql.execute("GRANT ALL ON SCHEMA public TO sextant");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("Cannot prepare the test database", e);
        }
        connection = new Connection(container.getJdbcUrl(), "sextant", "sextant");
        return connection;
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
