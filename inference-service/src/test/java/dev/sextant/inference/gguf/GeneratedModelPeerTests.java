package dev.sextant.inference.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.LogFormat;

/** The peer, llama.cpp (java-llama.cpp), loads and runs what the generator writes. */
class GeneratedModelPeerTests {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "Q8_0", "Q4_0"})
    void llamaCppLoadsAndRunsAGeneratedModel(GgmlType type) throws Exception {
        Path out = tmp.resolve("gen-" + type + ".gguf");
        RandomModelGenerator.generate(RandomModelGenerator.Spec.of(
                SharedData.file("tokenizers/ggml-vocab-llama-spm.gguf"), 64, 2, 4, 2, 128, type, 3), out);
        LlamaModel.setLogger(LogFormat.TEXT, (level, message) -> { });
        LlamaModel model = new LlamaModel(new ModelParameters().setModel(out.toString()).setGpuLayers(0).setThreads(1).setCtxSize(128));
        try {
            String text = model.complete(new InferenceParameters("Once upon a time").setTemperature(0f).setNPredict(8).setIgnoreEos(true));
            int[] ids = model.encode(text);
            assertThat(ids).as("llama.cpp produced tokens from the generated %s model", type).isNotEmpty();
        } finally {
            // java-llama.cpp's close() can hang after a generation: close on a daemon thread, bounded.
            Thread closer = Thread.ofPlatform().daemon().start(model::close);
            closer.join(5000);
        }
    }
}
