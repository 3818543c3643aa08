package dev.sextant.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Two gateway replicas sharing one Redis (127.0.0.1:6379, as CI provides): a key created on one works on the
 * other, and both spend the same request bucket and token quota.
 */
class RedisSharedLimitsIT {

    private static final String REDIS_HOST = "127.0.0.1";
    private static final int REDIS_PORT = 6379;
    private static ConfigurableApplicationContext first;
    private static ConfigurableApplicationContext second;

    @BeforeAll
    static void startTwoReplicas() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(REDIS_HOST, REDIS_PORT), 2000);
        }
        catch (IOException e) {
            fail("This test needs Redis at " + REDIS_HOST + ":" + REDIS_PORT + " (CI provides it; locally: "
                    + "apt-get install redis-server): " + e.getMessage());
        }
        String prefix = "sextant:gateway:test-" + UUID.randomUUID() + ":";
        first = start(prefix);
        second = start(prefix);
    }

    @AfterAll
    static void stop() {
        if (second != null) {
            second.close();
        }
        if (first != null) {
            first.close();
        }
    }

    private static ConfigurableApplicationContext start(String prefix) {
        String upstream = TestUpstream.get().url();
        // Command-line arguments: they win over application.yml (server.port: ${PORT:8080}).
        return new SpringApplicationBuilder(GatewayServiceApplication.class).run(
                "--server.port=0",
                "--sextant.gateway.redis.enabled=true",
                "--sextant.gateway.redis.key-prefix=" + prefix,
                "--spring.data.redis.host=" + REDIS_HOST,
                "--spring.data.redis.port=" + REDIS_PORT,
                "--sextant.gateway.auth.admin-key=" + GatewayClient.ADMIN_KEY,
                "--sextant.gateway.upstreams.inference=" + upstream,
                "--sextant.gateway.upstreams.retrieval=" + upstream,
                "--sextant.gateway.upstreams.ingestion=" + upstream,
                "--logging.structured.format.console=");
    }

    private static GatewayClient client(ConfigurableApplicationContext context) {
        return new GatewayClient(((WebServerApplicationContext) context).getWebServer().getPort());
    }

    @Test
    void replicasShareKeysAndOneRequestBudget() {
        int burst = 5;
        GatewayClient.Key key = client(first).createKey("shared", Map.of("requestsPerSecond", 1, "burst", burst));

        long start = System.nanoTime();
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            GatewayClient replica = client(i % 2 == 0 ? first : second);
            statuses.add(replica.get("/v1/models", key.secret()).statusCode());
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        long admitted = statuses.stream().filter(s -> s == 200).count();
        assertThat(statuses).as("every answer is 200 or 429").allMatch(s -> s == 200 || s == 429);
        assertThat(statuses.get(1)).as("a key created on one replica works on the other").isEqualTo(200);
        // One shared bucket admits burst + refills; two separate buckets would admit 2 × burst (10 of 12).
        assertThat(seconds).as("the 12 requests must run well inside the refill window to tell the cases apart")
                .isLessThan(4.0);
        assertThat(admitted).as("admitted of 12 in %.2f s: %s", seconds, statuses)
                .isLessThanOrEqualTo(burst + (long) Math.ceil(seconds));
    }

    /**
     * A response's tokens are counted after it has been answered, so the test waits for each count to show before the
     * next step (the third request raced the second one's count before: CI saw 200 for it), and it keeps off the last
     * seconds of a calendar minute, where the quota's window would start afresh between the requests.
     */
    @Test
    void tokensCountedOnOneReplicaSpendTheQuotaOnTheOther() throws InterruptedException {
        long intoMinute = System.currentTimeMillis() % 60_000;
        if (intoMinute > 50_000) {
            Thread.sleep(60_000 - intoMinute + 100);
        }
        GatewayClient.Key key = client(first).createKey("shared", Map.of("tokensPerMinute", 10));

        HttpResponse<String> response = client(first).postJson("/v1/chat/completions", key.secret(), "{\"model\":\"m\"}");
        assertThat(response.statusCode()).isEqualTo(200);
        awaitTokensThisMinute(second, key, TestUpstream.COMPLETION_TOKENS);
        assertThat(client(second).postJson("/v1/chat/completions", key.secret(), "{\"model\":\"m\"}").statusCode())
                .as("7 tokens of 10 used").isEqualTo(200);
        awaitTokensThisMinute(first, key, 2 * TestUpstream.COMPLETION_TOKENS);

        HttpResponse<String> refused = client(first).postJson("/v1/chat/completions", key.secret(), "{\"model\":\"m\"}");
        assertThat(refused.statusCode()).as("7 + 7 tokens of 10 used").isEqualTo(429);
    }

    private static void awaitTokensThisMinute(ConfigurableApplicationContext replica, GatewayClient.Key key, long tokens) {
        await().atMost(Duration.ofSeconds(5)).until(() -> GatewayClient.json(
                client(replica).get("/admin/keys/" + key.id() + "/usage", GatewayClient.ADMIN_KEY))
                .get("tokensThisMinute").asLong() == tokens);
    }

    @Test
    void keyRevokedOnOneReplicaStopsWorkingOnTheOtherWithinTheCacheTtl() {
        GatewayClient.Key key = client(first).createKey("shared", Map.of());
        assertThat(client(second).get("/v1/models", key.secret()).statusCode()).isEqualTo(200);

        client(first).send(client(first).request("/admin/keys/" + key.id())
                .header("Authorization", "Bearer " + GatewayClient.ADMIN_KEY).DELETE().build());

        assertThat(client(first).get("/v1/models", key.secret()).statusCode()).isEqualTo(401);
        await().atMost(Duration.ofSeconds(10)).until(() -> client(second).get("/v1/models", key.secret()).statusCode() == 401);
    }
}
