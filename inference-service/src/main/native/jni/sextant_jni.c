/* sextant_jni.c — JNI bindings for dev.sextant.inference.engine.SextantNative.
 * Every entry point validates its handles and buffers and turns every failure into a thrown
 * dev.sextant.inference.engine.EngineException(status, message); nothing here may crash the JVM. */
#include <jni.h>
#include <string.h>
#include <stdio.h>
#include "sextant.h"

static jclass exc_class;
static jmethodID exc_ctor;

#define FN(name) Java_dev_sextant_inference_engine_SextantNative_##name

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
    JNIEnv *env;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) return JNI_ERR;
    jclass c = (*env)->FindClass(env, "dev/sextant/inference/engine/EngineException");
    if (!c) return JNI_ERR;
    exc_class = (*env)->NewGlobalRef(env, c);
    exc_ctor = (*env)->GetMethodID(env, c, "<init>", "(ILjava/lang/String;)V");
    if (!exc_class || !exc_ctor) return JNI_ERR;
    return JNI_VERSION_1_8;
}

static void throw_status(JNIEnv *env, sx_status s, const char *msg) {
    if ((*env)->ExceptionCheck(env)) return;
    jstring m = (*env)->NewStringUTF(env, msg ? msg : "unknown error");
    if (!m) return; /* OutOfMemoryError pending */
    jobject e = (*env)->NewObject(env, exc_class, exc_ctor, (jint)s, m);
    if (e) (*env)->Throw(env, (jthrowable)e);
}

static void throw_last(JNIEnv *env, sx_status s) { throw_status(env, s, sx_last_error()); }

static int check_handle(JNIEnv *env, jlong h, const char *what) {
    if (h == 0) { char b[96]; snprintf(b, sizeof b, "%s is closed or was never opened", what); throw_status(env, SX_ERR_ARGUMENT, b); return 0; }
    return 1;
}

/* Address of a direct buffer holding at least `bytes`; throws and returns NULL otherwise. */
static void *direct(JNIEnv *env, jobject buf, jlong bytes, const char *what) {
    char b[160];
    if (!buf) { snprintf(b, sizeof b, "%s: buffer is null", what); throw_status(env, SX_ERR_ARGUMENT, b); return NULL; }
    void *p = (*env)->GetDirectBufferAddress(env, buf);
    jlong cap = (*env)->GetDirectBufferCapacity(env, buf);
    if (!p || cap < 0) { snprintf(b, sizeof b, "%s: not a direct buffer", what); throw_status(env, SX_ERR_ARGUMENT, b); return NULL; }
    if (cap < bytes) { snprintf(b, sizeof b, "%s: buffer holds %lld bytes, %lld needed", what, (long long)cap, (long long)bytes); throw_status(env, SX_ERR_ARGUMENT, b); return NULL; }
    return p;
}

JNIEXPORT jstring JNICALL FN(cpuFeatures)(JNIEnv *env, jclass cls) { return (*env)->NewStringUTF(env, sx_cpu_features()); }

JNIEXPORT jlong JNICALL FN(modelLoad)(JNIEnv *env, jclass cls, jstring path, jint backend, jint device) {
    if (!path) { throw_status(env, SX_ERR_ARGUMENT, "model path is null"); return 0; }
    const char *p = (*env)->GetStringUTFChars(env, path, NULL);
    if (!p) return 0;
    sx_model_params mp = sx_model_default_params();
    mp.backend = (sx_backend_kind)backend; mp.device = device;
    sx_model *m = NULL;
    sx_status s = sx_model_load(p, &mp, &m);
    (*env)->ReleaseStringUTFChars(env, path, p);
    if (s != SX_OK) { throw_last(env, s); return 0; }
    return (jlong)(intptr_t)m;
}

JNIEXPORT void JNICALL FN(modelFree)(JNIEnv *env, jclass cls, jlong h) { if (h) sx_model_free((sx_model *)(intptr_t)h); }

/* [n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_ctx_train, n_params, weight_bytes] */
JNIEXPORT jlongArray JNICALL FN(modelInfo)(JNIEnv *env, jclass cls, jlong h) {
    if (!check_handle(env, h, "model")) return NULL;
    sx_model_info i;
    sx_status s = sx_model_get_info((sx_model *)(intptr_t)h, &i);
    if (s) { throw_last(env, s); return NULL; }
    jlong v[10] = { i.n_vocab, i.n_embd, i.n_layer, i.n_head, i.n_head_kv, i.head_dim, i.n_ff, i.n_ctx_train, i.n_params, i.weight_bytes };
    jlongArray a = (*env)->NewLongArray(env, 10);
    if (a) (*env)->SetLongArrayRegion(env, a, 0, 10, v);
    return a;
}

JNIEXPORT jstring JNICALL FN(modelArch)(JNIEnv *env, jclass cls, jlong h) {
    if (!check_handle(env, h, "model")) return NULL;
    sx_model_info i;
    sx_status s = sx_model_get_info((sx_model *)(intptr_t)h, &i);
    if (s) { throw_last(env, s); return NULL; }
    return (*env)->NewStringUTF(env, i.arch);
}

JNIEXPORT jlong JNICALL FN(contextInit)(JNIEnv *env, jclass cls, jlong model, jint n_threads, jint n_seq_max, jint n_ctx,
                                        jint block_size, jint n_batch_max, jint n_out_max, jint kv_type) {
    if (!check_handle(env, model, "model")) return 0;
    sx_context_params p = { n_threads, n_seq_max, n_ctx, block_size, n_batch_max, n_out_max, kv_type };
    sx_context *c = NULL;
    sx_status s = sx_context_init((sx_model *)(intptr_t)model, &p, &c);
    if (s != SX_OK) { throw_last(env, s); return 0; }
    return (jlong)(intptr_t)c;
}

JNIEXPORT void JNICALL FN(contextFree)(JNIEnv *env, jclass cls, jlong h) { if (h) sx_context_free((sx_context *)(intptr_t)h); }

/* [n_threads, n_seq_max, n_ctx, kv_block_size, n_batch_max, n_out_max, kv_type] as actually used. */
JNIEXPORT jintArray JNICALL FN(contextParams)(JNIEnv *env, jclass cls, jlong h) {
    if (!check_handle(env, h, "session")) return NULL;
    sx_context_params p;
    sx_context_get_params((sx_context *)(intptr_t)h, &p);
    jint v[7] = { p.n_threads, p.n_seq_max, p.n_ctx, p.kv_block_size, p.n_batch_max, p.n_out_max, p.kv_type };
    jintArray a = (*env)->NewIntArray(env, 7);
    if (a) (*env)->SetIntArrayRegion(env, a, 0, 7, v);
    return a;
}

/* One step. tokens/positions/seqIds: int32 x n; outputs: int8 x n (null: last row only);
 * sampled: int32 per output row (null: no sampling). Returns the number of output rows. */
JNIEXPORT jint JNICALL FN(decode)(JNIEnv *env, jclass cls, jlong h, jint n, jobject tokens, jobject positions, jobject seq_ids,
                                  jobject outputs, jobject sampled) {
    if (!check_handle(env, h, "session")) return 0;
    if (n <= 0) { throw_status(env, SX_ERR_ARGUMENT, "decode: empty batch"); return 0; }
    sx_context *c = (sx_context *)(intptr_t)h;
    const int32_t *t = direct(env, tokens, (jlong)n * 4, "tokens"); if (!t) return 0;
    const int32_t *p = direct(env, positions, (jlong)n * 4, "positions"); if (!p) return 0;
    const int32_t *s = direct(env, seq_ids, (jlong)n * 4, "sequence ids"); if (!s) return 0;
    const int8_t *o = NULL;
    if (outputs && !(o = direct(env, outputs, n, "outputs"))) return 0;
    int32_t *smp = NULL;
    if (sampled) {
        sx_context_params cp; sx_context_get_params(c, &cp);
        if (!(smp = direct(env, sampled, (jlong)cp.n_out_max * 4, "sampled"))) return 0;
    }
    sx_batch b = { n, t, p, s, o };
    sx_status st = sx_decode(c, &b, smp);
    if (st != SX_OK) { throw_last(env, st); return 0; }
    return sx_n_outputs(c);
}

/* A direct view of the logits buffer: n_out_max * n_vocab floats (native byte order), valid until free. */
JNIEXPORT jobject JNICALL FN(logitsBuffer)(JNIEnv *env, jclass cls, jlong h, jint n_vocab) {
    if (!check_handle(env, h, "session")) return NULL;
    sx_context *c = (sx_context *)(intptr_t)h;
    sx_context_params cp; sx_context_get_params(c, &cp);
    return (*env)->NewDirectByteBuffer(env, (void *)sx_logits(c), (jlong)cp.n_out_max * n_vocab * 4);
}

JNIEXPORT void JNICALL FN(kvClearSeq)(JNIEnv *env, jclass cls, jlong h, jint seq) {
    if (!check_handle(env, h, "session")) return;
    sx_status s = sx_kv_clear_seq((sx_context *)(intptr_t)h, seq);
    if (s) throw_last(env, s);
}

JNIEXPORT void JNICALL FN(kvTruncateSeq)(JNIEnv *env, jclass cls, jlong h, jint seq, jint keep) {
    if (!check_handle(env, h, "session")) return;
    sx_status s = sx_kv_truncate_seq((sx_context *)(intptr_t)h, seq, keep);
    if (s) throw_last(env, s);
}

JNIEXPORT jint JNICALL FN(kvSeqLen)(JNIEnv *env, jclass cls, jlong h, jint seq) {
    if (!check_handle(env, h, "session")) return 0;
    return sx_kv_seq_len((sx_context *)(intptr_t)h, seq);
}

JNIEXPORT jint JNICALL FN(kvFreeBlocks)(JNIEnv *env, jclass cls, jlong h) {
    if (!check_handle(env, h, "session")) return 0;
    return sx_kv_free_blocks((sx_context *)(intptr_t)h);
}

/* Attaches the cached blocks matching the prompt's prefix to the empty sequence; returns the tokens cached. */
JNIEXPORT jint JNICALL FN(kvAttachPrefix)(JNIEnv *env, jclass cls, jlong h, jint seq, jintArray tokens) {
    if (!check_handle(env, h, "session")) return 0;
    if (!tokens) { throw_status(env, SX_ERR_ARGUMENT, "attachPrefix: tokens are null"); return 0; }
    jsize n = (*env)->GetArrayLength(env, tokens);
    jint *t = (*env)->GetIntArrayElements(env, tokens, NULL);
    if (!t) return 0; /* OutOfMemoryError pending */
    int32_t cached = 0;
    sx_status s = sx_kv_attach_prefix((sx_context *)(intptr_t)h, seq, (const int32_t *)t, n, &cached);
    (*env)->ReleaseIntArrayElements(env, tokens, t, JNI_ABORT);
    if (s) { throw_last(env, s); return 0; }
    return cached;
}
