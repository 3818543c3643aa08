package dev.sextant.gateway.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
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
 * latency, throughput, the added p50/p99, the throughput ratio gateway/direct, and the CPU time each request
 * costs: in the gateway's own JVM (comparable across machines, unlike the ratio) and in the benchmark's JVM
 * (load generator and upstream), with the load average before and after each run. The gateway's CPU is also
 * split by thread (event loops, JIT compiler, GC, other, from /proc): the JIT share shows whether the warm-up
 * was long enough. {@code -Dbench.direct=false} measures through the gateway only (to compare gateway builds).
 *
 * <pre>
 * ./mvnw -B -q -pl gateway-service test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
 * java -cp gateway-service/target/test-classes:gateway-service/target/classes:$(cat gateway-service/target/bench-classpath.txt) \
 *     dev.sextant.gateway.bench.GatewayOverheadBenchmark 200 20 20 both   # connections, seconds per run, warm-up seconds, json|sse|both
 * </pre>
 *
 * The gateway runs in a JVM of its own, started by this program with the same classpath (add JVM options with
 * {@code -Dbench.gateway.jvmArgs="-XX:StartFlightRecording=filename=/tmp/gw.jfr,settings=profile"}, and settings
 * with {@code -Dbench.gateway.args="--management.tracing.sampling.probability=1.0"}); the load
 * generator and the upstream share this JVM. All three share the machine's cores, so on a small machine the
 * ratio is pessimistic: the gateway's CPU per request is the figure to compare. The upstream answers at once
 * (no model), so every millisecond measured is HTTP and gateway work.
 */
public final class GatewayOverheadBenchmark {

    private static final com.sun.management.OperatingSystemMXBean CPU =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    private static final String ADMIN_KEY = "bench-admin-key-0123456789";
    private static final String PORT_LINE = "BENCH_GATEWAY_PORT=";
    private static final String EMBED_REQUEST = "{\"model\":\"all-minilm-l6-v2\",\"input\":\"hello\"}";
    private static final String EMBED_RESPONSE = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
            + "\"embedding\":[0.1,0.2,0.3]}],\"model\":\"all-minilm-l6-v2\",\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}";
    private static final String CHAT_REQUEST = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private record Result(Histogram latency, double perSecond, long errors, double benchCpuMicros,
            double gatewayCpuMicros, Map<String, Double> gatewayThreadMicros, String loadBefore, String loadAfter) {
    }

    /** Kernel clock ticks per second, the unit of /proc's per-thread CPU times (100 on every Linux we run). */
    private static final double TICKS_PER_SECOND = 100;

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--gateway")) {
            runGateway(Integer.parseInt(args[1]), List.of(args).subList(2, args.length));
            return;
        }
        int connections = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : seconds;
        String kinds = args.length > 3 ? args[3] : "both";
        // -Dbench.direct=false: through the gateway only (for comparing gateway configurations, e.g. ablations).
        boolean measureDirect = Boolean.parseBoolean(System.getProperty("bench.direct", "true"));
        DisposableServer upstream = startUpstream();
        Process gateway = startGateway(upstream.port());
        int gatewayPort = gatewayPort(gateway);
        String key = createKey(gatewayPort);
        ConnectionProvider pool = ConnectionProvider.builder("bench").maxConnections(connections)
                .pendingAcquireMaxCount(-1).build();
        HttpClient direct = HttpClient.create(pool).baseUrl("http://127.0.0.1:" + upstream.port());
        HttpClient viaGateway = HttpClient.create(pool).baseUrl("http://127.0.0.1:" + gatewayPort)
                .headers(h -> h.set("Authorization", "Bearer " + key));

        System.out.printf("machine: %d cores (%s), JDK %s; %d connections, %d s per run after a %d s warm-up; "
                + "load average %s%n", Runtime.getRuntime().availableProcessors(), System.getProperty("os.arch"),
                System.getProperty("java.version"), connections, seconds, warmup, loadAverage());
        try {
            for (String kind : new String[] {"json", "sse"}) {
                if (!kinds.equals("both") && !kinds.equals(kind)) {
                    continue;
                }
                String path = kind.equals("json") ? "/v1/embeddings" : "/v1/chat/completions";
                String body = kind.equals("json") ? EMBED_REQUEST : CHAT_REQUEST;
                Result d = null;
                if (measureDirect) {
                    run(direct, null, path, body, connections, warmup);
                    d = run(direct, null, path, body, connections, seconds);
                }
                run(viaGateway, gateway, path, body, connections, warmup);
                Result g = run(viaGateway, gateway, path, body, connections, seconds);
                report(kind, d, g);
            }
        }
        finally {
            gateway.getOutputStream().close(); // the gateway JVM exits when its stdin closes
            if (!gateway.waitFor(60, TimeUnit.SECONDS)) {
                gateway.destroy();
            }
            upstream.disposeNow();
        }
        System.exit(0);
    }

    private static void report(String kind, Result direct, Result gateway) {
        if (direct == null) {
            System.out.printf("%-4s gateway: p50 %7.3f ms  p99 %7.3f ms  %9.0f req/s  errors %d  (load %s -> %s)%n",
                    kind, ms(gateway.latency().getValueAtPercentile(50)), ms(gateway.latency().getValueAtPercentile(99)),
                    gateway.perSecond(), gateway.errors(), gateway.loadBefore(), gateway.loadAfter());
            reportGatewayCpu(kind, gateway);
            return;
        }
        System.out.printf("%-4s direct : p50 %7.3f ms  p99 %7.3f ms  %9.0f req/s  errors %d  bench JVM CPU %5.0f us/req"
                + "  (load %s -> %s)%n", kind, ms(direct.latency().getValueAtPercentile(50)),
                ms(direct.latency().getValueAtPercentile(99)), direct.perSecond(), direct.errors(),
                direct.benchCpuMicros(), direct.loadBefore(), direct.loadAfter());
        System.out.printf("%-4s gateway: p50 %7.3f ms  p99 %7.3f ms  %9.0f req/s  errors %d  bench JVM CPU %5.0f us/req"
                + "  (load %s -> %s)%n", kind, ms(gateway.latency().getValueAtPercentile(50)),
                ms(gateway.latency().getValueAtPercentile(99)), gateway.perSecond(), gateway.errors(),
                gateway.benchCpuMicros(), gateway.loadBefore(), gateway.loadAfter());
        System.out.printf("%-4s added  : p50 %+7.3f ms  p99 %+7.3f ms  throughput ratio gateway/direct %.2f "
                + "(targets: p50 added <= 1 ms, ratio >= 0.8)%n", kind,
                ms(gateway.latency().getValueAtPercentile(50) - direct.latency().getValueAtPercentile(50)),
                ms(gateway.latency().getValueAtPercentile(99) - direct.latency().getValueAtPercentile(99)),
                gateway.perSecond() / direct.perSecond());
        System.out.printf("%-4s upstream + load generator (bench JVM) CPU per request: direct %.3f ms, via the "
                + "gateway %.3f ms%n", kind, direct.benchCpuMicros() / 1000, gateway.benchCpuMicros() / 1000);
        reportGatewayCpu(kind, gateway);
    }

    private static void reportGatewayCpu(String kind, Result gateway) {
        System.out.printf("%-4s gateway JVM CPU per request: %.3f ms (one core at this cost: %.0f req/s)%n", kind,
                gateway.gatewayCpuMicros() / 1000, 1e6 / gateway.gatewayCpuMicros());
        StringBuilder split = new StringBuilder();
        gateway.gatewayThreadMicros().forEach((group, micros) -> split.append(String.format("  %s %.3f", group, micros / 1000)));
        System.out.printf("%-4s   by thread, ms per request:%s%n", kind, split);
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static Result run(HttpClient client, Process gateway, String path, String body, int connections,
            int seconds) {
        Histogram latency = new ConcurrentHistogram(Duration.ofSeconds(60).toNanos(), 3);
        AtomicLong completed = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        String loadBefore = loadAverage();
        long cpuStart = CPU.getProcessCpuTime();
        long gatewayCpuStart = cpuNanos(gateway);
        Map<String, Long> threadTicksStart = threadTicks(gateway);
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
        long requests = Math.max(1, completed.get());
        double benchCpu = (CPU.getProcessCpuTime() - cpuStart) / 1e3 / requests;
        double gatewayCpu = gateway == null ? 0 : (cpuNanos(gateway) - gatewayCpuStart) / 1e3 / requests;
        Map<String, Double> threads = new TreeMap<>();
        threadTicks(gateway).forEach((group, ticks) -> threads.put(group,
                (ticks - threadTicksStart.getOrDefault(group, 0L)) / TICKS_PER_SECOND * 1e6 / requests));
        return new Result(latency, completed.get() / elapsed, errors.get(), benchCpu, gatewayCpu, threads, loadBefore,
                loadAverage());
    }

    /** User + system CPU time of the process so far (Linux: from /proc), 0 for none. */
    private static long cpuNanos(Process process) {
        return process == null ? 0 : process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElseThrow(
                () -> new IllegalStateException("this OS does not report the CPU time of the gateway's process"));
    }

    /**
     * CPU ticks (user + system) of the process's threads so far, summed by kind: the event loops that serve the
     * requests ({@code reactor-http-nio-*}), the JIT compilers, the garbage collector and everything else
     * (timers, logging, the VM thread). Empty where /proc is not there.
     */
    private static Map<String, Long> threadTicks(Process process) {
        Map<String, Long> ticks = new TreeMap<>();
        if (process == null) {
            return ticks;
        }
        try (var tasks = Files.list(Path.of("/proc", Long.toString(process.pid()), "task"))) {
            for (Path task : tasks.toList()) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                }
                catch (IOException gone) {
                    continue; // the thread ended meanwhile
                }
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                String name = stat.substring(open + 1, close);
                String[] fields = stat.substring(close + 2).split(" ");
                long used = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
                String group = name.startsWith("reactor-http") ? "event-loops"
                        : name.contains("CompilerThre") ? "jit"
                        : name.startsWith("GC ") || name.startsWith("G1 ") ? "gc"
                        : name.startsWith("parallel-") ? "reactor-timers" : "other";
                ticks.merge(group, used, Long::sum);
            }
        }
        catch (IOException e) {
            return Map.of();
        }
        return ticks;
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        }
        catch (IOException e) {
            return String.format("%.2f", CPU.getSystemLoadAverage());
        }
    }

    /** The gateway JVM: configured for the benchmark, prints its port, exits when its stdin closes. */
    private static void runGateway(int upstreamPort, List<String> extraArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of(
                "--server.port=0",
                "--sextant.gateway.auth.admin-key=" + ADMIN_KEY,
                "--sextant.gateway.upstreams.inference=http://127.0.0.1:" + upstreamPort,
                "--logging.threshold.console=WARN",
                "--logging.file.name=target/bench-gateway.log",
                "--logging.structured.format.file=ecs"));
        args.addAll(extraArgs);
        ConfigurableApplicationContext gateway = new SpringApplicationBuilder(GatewayServiceApplication.class)
                .run(args.toArray(String[]::new));
        System.out.println(PORT_LINE + ((WebServerApplicationContext) gateway).getWebServer().getPort());
        System.out.flush();
        while (System.in.read() != -1) {
            // wait for the benchmark to close this process's stdin
        }
        gateway.close();
        System.exit(0);
    }

    private static Process startGateway(int upstreamPort) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        String jvmArgs = System.getProperty("bench.gateway.jvmArgs", "").trim();
        if (!jvmArgs.isEmpty()) {
            command.addAll(List.of(jvmArgs.split("\\s+")));
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), GatewayOverheadBenchmark.class.getName(),
                "--gateway", Integer.toString(upstreamPort)));
        String gatewayArgs = System.getProperty("bench.gateway.args", "").trim();
        if (!gatewayArgs.isEmpty()) {
            command.addAll(List.of(gatewayArgs.split("\\s+")));
        }
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** Reads the gateway's port from its output, then passes the rest of its output on. */
    private static int gatewayPort(Process gateway) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(gateway.getInputStream(), StandardCharsets.UTF_8));
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.startsWith(PORT_LINE)) {
                Thread.ofPlatform().daemon().start(() -> out.lines().forEach(l -> System.out.println("[gateway] " + l)));
                return Integer.parseInt(line.substring(PORT_LINE.length()).trim());
            }
            System.out.println("[gateway] " + line);
        }
        throw new IllegalStateException("the gateway JVM closed its output before it listened");
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
