package dev.sextant.gateway;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * One gateway (in-memory keys and limits) in front of {@link TestUpstream}, shared by every IT that extends
 * this class (same configuration, so Spring starts it once). structured-output points at a dead port.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "sextant.gateway.auth.admin-key=" + GatewayClient.ADMIN_KEY,
    "sextant.gateway.auth.bootstrap-key=" + AbstractGatewayIT.BOOTSTRAP_KEY,
    "sextant.gateway.max-body-size=64KB",
    "sextant.gateway.cors.allowed-origins=https://app.example",
    "sextant.gateway.resilience.routes.structured-output.sliding-window-size=4",
    "sextant.gateway.resilience.routes.structured-output.minimum-number-of-calls=4",
    "sextant.gateway.resilience.routes.structured-output.wait-in-open-state=60s",
    "sextant.gateway.resilience.routes.ingestion.time-to-headers=2s",
    "sextant.gateway.resilience.routes.ingestion.minimum-number-of-calls=100",
    "logging.structured.format.console="})
public abstract class AbstractGatewayIT {

    static final String BOOTSTRAP_KEY = "sk-sextant-bootstrap-key-for-tests-0123456789";
    /** The budget for a dead upstream: connect-timeout 2 s, plus 3 s of slack for a loaded 2-core CI machine. */
    static final long DOWN_BUDGET_MS = 2000 + 3000;

    @LocalServerPort
    protected int port;

    @DynamicPropertySource
    static void upstreams(DynamicPropertyRegistry registry) {
        String upstream = TestUpstream.get().url();
        registry.add("sextant.gateway.upstreams.inference", () -> upstream);
        registry.add("sextant.gateway.upstreams.retrieval", () -> upstream);
        registry.add("sextant.gateway.upstreams.ingestion", () -> upstream);
        registry.add("sextant.gateway.upstreams.structured-output", DeadPort::url);
    }

    protected GatewayClient client() {
        return new GatewayClient(port);
    }

    /** One dead URL per JVM, so every IT class gets the same (cached) context. */
    static final class DeadPort {
        private static final String URL = TestUpstream.deadUrl();

        static String url() {
            return URL;
        }
    }
}
