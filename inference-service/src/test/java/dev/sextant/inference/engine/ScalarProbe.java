package dev.sextant.inference.engine;

import java.nio.file.Path;

/** Child-JVM program for {@link ScalarFallbackIT}: prints the CPU features in use, greedy ids of a model and hashes of each step's logits (KV cache type: -Dprobe.kv). */
final class ScalarProbe {

    private ScalarProbe() {
    }

    public static void main(String[] args) {
        System.out.println("features=" + Model.cpuFeatures());
        int n = Integer.parseInt(args[1]);
        int[] prompt = new int[args.length - 2];
        for (int i = 2; i < args.length; i++) {
            prompt[i - 2] = Integer.parseInt(args[i]);
        }
        SessionOptions.KvCacheType kv = SessionOptions.KvCacheType.valueOf(System.getProperty("probe.kv", "F16"));
        try (Model m = Model.load(Path.of(args[0]));
                Session s = m.newSession(SessionOptions.defaults().withThreads(2).withContextTokens(256).withKvCacheType(kv))) {
            EngineTestSupport.Run run = EngineTestSupport.greedy(s, 0, prompt, n, n);
            System.out.println("ids=" + run.ids());
            // every bit of every step's logits (the prefill's last row first), for comparisons of kernel paths
            System.out.println("logits=" + run.logits().stream().mapToInt(java.util.Arrays::hashCode).boxed().toList());
        }
    }
}
