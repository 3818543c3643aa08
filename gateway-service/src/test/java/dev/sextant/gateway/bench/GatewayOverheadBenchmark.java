package dev.sextant.gateway.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import dev.sextant.gateway.GatewayServiceApplication;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the gateway adds: the same closed-loop load (C connections, each sending its next request when the
 * previous answer has fully arrived) first straight to an upstream, then through the gateway (API key check,
 * rate limit, identity headers, breaker, usage counting, access log to a file), for a small JSON call
 * ({@code POST /v1/embeddings}) and an SSE stream ({@code POST /v1/chat/completions}, 8 events). Prints p50/p99
 * latency, throughput, the added p50/p99 and the throughput ratio gateway/direct.
 *
 * <pre>
 * ./mvnw -B -q -pl gateway-service test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
 * java -cp gateway-service/target/test-classes:gateway-service/target/classes:$(cat gateway-service/target/bench-classpath.txt) \
 *     dev.sextant.gateway.bench.GatewayOverheadBenchmark 200 20      # connections, seconds per run
 * </pre>
 *
 * Load generator, upstream and gateway share one JVM and the machine's cores; the upstream answers at once
 * (no model), so every millisecond measured is HTTP and gateway work.
 */
public final class GatewayOverheadBenchmark {

    private static final com.sun.management.OperatingSystemMXBean CPU =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    private static final String ADMIN_KEY = "bench-admin-key-0123456789";
    private static final String EMBED_REQUEST = "{\"model\":\"all-minilm-l6-v2\",\"input\":\"hello\"}";
    private static final String EMBED_RESPONSE = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
            + "\"embedding\":[0.1,0.2,0.3]}],\"model\":\"all-minilm-l6-v2\",\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}";
    private static final String CHAT_REQUEST = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private record Result(Histogram latency, double perSecond, long errors, double cpuMicrosPerRequest) {
    }

    public static void main(String[] args) {
        int connections = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        DisposableServer upstream = startUpstream();
        ConfigurableApplicationContext gateway = new SpringApplicationBuilder(GatewayServiceApplication.class).run(
                "--server.port=0",
                "--sextant.gateway.auth.admin-key=" + ADMIN_KEY,
                "--sextant.gateway.upstreams.inference=http://127.0.0.1:" + upstream.port(),
                "--logging.threshold.console=WARN",
                "--logging.file.name=target/bench-gateway.log",
                "--logging.structured.format.file=ecs");
        int gatewayPort = ((WebServerApplicationContext) gateway).getWebServer().getPort();
        String key = createKey(gatewayPort);
        ConnectionProvider pool = ConnectionProvider.builder("bench").maxConnections(connections)
                .pendingAcquireMaxCount(-1).build();
        HttpClient direct = HttpClient.create(pool).baseUrl("http://127.0.0.1:" + upstream.port());
        HttpClient viaGateway = HttpClient.create(pool).baseUrl("http://127.0.0.1:" + gatewayPort)
                .headers(h -> h.set("Authorization", "Bearer " + key));

        System.out.printf("machine: %d cores (%s), JDK %s; %d connections, %d s per run, after a %d s warm-up each%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.arch"),
                System.getProperty("java.version"), connections, seconds, Math.max(3, seconds / 3));
        for (String kind : new String[] {"json", "sse"}) {
            String path = kind.equals("json") ? "/v1/embeddings" : "/v1/chat/completions";
            String body = kind.equals("json") ? EMBED_REQUEST : CHAT_REQUEST;
            run(direct, path, body, connections, Math.max(3, seconds / 3));
            Result d = run(direct, path, body, connections, seconds);
            run(viaGateway, path, body, connections, Math.max(3, seconds / 3));
            Result g = run(viaGateway, path, body, connections, seconds);
            report(kind, d, g);
        }
        gateway.close();
        upstream.disposeNow();
        System.exit(0);
    }

    private static void report(String kind, Result direct, Result gateway) {
        System.out.printf("%-4s direct : p50 %7.3f ms  p99 %7.3f ms  %9.0f req/s  errors %d  JVM CPU %6.0f us/req%n",
                kind, ms(direct.latency().getValueAtPercentile(50)), ms(direct.latency().getValueAtPercentile(99)),
                direct.perSecond(), direct.errors(), direct.cpuMicrosPerRequest());
        System.out.printf("%-4s gateway: p50 %7.3f ms  p99 %7.3f ms  %9.0f req/s  errors %d  JVM CPU %6.0f us/req%n",
                kind, ms(gateway.latency().getValueAtPercentile(50)), ms(gateway.latency().getValueAtPercentile(99)),
                gateway.perSecond(), gateway.errors(), gateway.cpuMicrosPerRequest());
        System.out.printf("%-4s added  : p50 %+7.3f ms  p99 %+7.3f ms  throughput ratio gateway/direct %.2f "
                + "(targets: p50 added <= 1 ms, ratio >= 0.8)%n", kind,
                ms(gateway.latency().getValueAtPercentile(50) - direct.latency().getValueAtPercentile(50)),
                ms(gateway.latency().getValueAtPercentile(99) - direct.latency().getValueAtPercentile(99)),
                gateway.perSecond() / direct.perSecond());
        System.out.printf("%-4s gateway CPU per request (JVM total, gateway minus direct): %.0f us%n", kind,
                gateway.cpuMicrosPerRequest() - direct.cpuMicrosPerRequest());
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static Result run(HttpClient client, String path, String body, int connections, int seconds) {
        Histogram latency = new ConcurrentHistogram(Duration.ofSeconds(60).toNanos(), 3);
        AtomicLong completed = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long cpuStart = CPU.getProcessCpuTime();
        long start = System.nanoTime();
        long end = start + Duration.ofSeconds(seconds).toNanos();
        Flux.range(0, connections)
                .flatMap(i -> Mono.defer(() -> {
                    long t0 = System.nanoTime();
                    return client.headers(h -> h.set("Content-Type", "application/json"))
                            .post().uri(path)
                            .send(ByteBufFlux.fromString(Mono.just(body)))
                            .responseSingle((response, content) -> content.asByteArray()
                                    .defaultIfEmpty(new byte[0])
                                    .map(bytes -> response.status().code()))
                            .doOnNext(status -> {
                                if (status == 200) {
                                    latency.recordValue(System.nanoTime() - t0);
                                    completed.incrementAndGet();
                                }
                                else {
                                    errors.incrementAndGet();
                                }
                            })
                            .onErrorResume(e -> {
                                errors.incrementAndGet();
                                return Mono.empty();
                            });
                }).repeat(() -> System.nanoTime() < end), connections)
                .blockLast();
        double elapsed = (System.nanoTime() - start) / 1e9;
        double cpuMicros = (CPU.getProcessCpuTime() - cpuStart) / 1e3 / Math.max(1, completed.get());
        return new Result(latency, completed.get() / elapsed, errors.get(), cpuMicros);
    }

    private static DisposableServer startUpstream() {
        byte[] embed = EMBED_RESPONSE.getBytes(StandardCharsets.UTF_8);
        return HttpServer.create().host("127.0.0.1").port(0)
                .route(routes -> routes
                        .post("/v1/embeddings", (request, response) -> request.receive().then()
                                .then(response.header("Content-Type", "application/json")
                                        .sendByteArray(Mono.just(embed)).then()))
                        .post("/v1/chat/completions", (request, response) -> request.receive().then()
                                .then(response.header("Content-Type", "text/event-stream")
                                        .sendString(Flux.range(0, 8).map(i -> "data: {\"choices\":[{\"delta\":{\"content\":\"t"
                                                + i + "\"}}]" + (i == 7 ? ",\"usage\":{\"total_tokens\":12}" : "") + "}\n\n")
                                                .concatWith(Mono.just("data: [DONE]\n\n"))).then())))
                .bindNow();
    }

    private static String createKey(int gatewayPort) {
        String created = HttpClient.create().baseUrl("http://127.0.0.1:" + gatewayPort)
                .headers(h -> h.set("Authorization", "Bearer " + ADMIN_KEY).set("Content-Type", "application/json"))
                .post().uri("/admin/keys")
                .send(ByteBufFlux.fromString(Mono.just("{\"tenant\":\"bench\",\"requestsPerSecond\":10000000,"
                        + "\"burst\":10000000,\"tokensPerMinute\":0}")))
                .responseContent().aggregate().asString().block(Duration.ofSeconds(30));
        JsonNode node = JsonMapper.builder().build().readTree(created);
        return node.get("key").asString();
    }
}
