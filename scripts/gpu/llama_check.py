#!/usr/bin/env python3
"""GPU check steps 3 and 4 (run by scripts/gpu-check.sh on the GPU machine).

Builds a random-weight BF16 Llama (default 2048 dims x 16 layers, 32 heads / 8 KV heads, FFN 5632, 32K vocab:
~0.85B parameters) with Hugging Face transformers, writes the same tensors as a GGUF file (Q/K rows permuted the way
llama.cpp's converter does, since GGUF llama uses adjacent-pair RoPE), then:
  3. compares the logits of our CUDA backend (sx-cuda-run logits: one prefill call and one token at a time)
     with LlamaForCausalLM in float32 on the same weights, by NMSE, max |diff| and argmax agreement;
  4. runs sx-cuda-run bench (decode tok/s at batch 1, 8, 64, copy bandwidth, roofline) and HF transformers
     `generate` (greedy, bf16, default attention) at the same batch sizes, and prints the ratios.
Writes llama_check.json next to the log. Usage: llama_check.py --bin sx-cuda-run --out DIR [--small]
"""
import argparse, json, os, struct, subprocess, sys, time

import numpy as np
import torch


def log(*a):
    print(*a, flush=True)


def write_gguf(path, meta, tensors, align=32):
    """meta: list of (key, type, value) with type in {'str','u32','f32'}; tensors: list of (name, ggml_type, ne, bytes)."""
    def s(x):
        b = x.encode()
        return struct.pack('<Q', len(b)) + b
    with open(path, 'wb') as f:
        f.write(b'GGUF' + struct.pack('<IQQ', 3, len(tensors), len(meta)))
        for k, t, v in meta:
            f.write(s(k))
            if t == 'str': f.write(struct.pack('<I', 8) + s(v))
            elif t == 'u32': f.write(struct.pack('<II', 4, v))
            elif t == 'f32': f.write(struct.pack('<If', 6, v))
        off = 0
        offs = []
        for name, gt, ne, data in tensors:
            offs.append(off)
            f.write(s(name) + struct.pack('<I', len(ne)) + struct.pack('<%dQ' % len(ne), *ne) + struct.pack('<IQ', gt, off))
            off += (len(data) + align - 1) // align * align
        pos = f.tell()
        f.write(b'\0' * ((pos + align - 1) // align * align - pos))
        for (name, gt, ne, data), o in zip(tensors, offs):
            f.write(data)
            f.write(b'\0' * ((len(data) + align - 1) // align * align - len(data)))


def permute(w, n_head):
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def bf16_bytes(t):
    return t.detach().to(torch.bfloat16).contiguous().view(torch.int16).cpu().numpy().tobytes()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bin', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--small', action='store_true', help='a 4-layer 512-dim model (quick local try)')
    ap.add_argument('--steps', type=int, default=256)
    ap.add_argument('--hf-tokens', type=int, default=64)
    ap.add_argument('--gguf-only', action='store_true', help='write /tmp/sextant-llama-bf16.gguf and stop (kernel work)')
    args = ap.parse_args()
    import transformers
    from transformers import LlamaConfig, LlamaForCausalLM
    dev = 'cuda'
    dims = dict(hidden_size=512, intermediate_size=1408, num_hidden_layers=4, num_attention_heads=8, num_key_value_heads=2) if args.small else \
        dict(hidden_size=2048, intermediate_size=5632, num_hidden_layers=16, num_attention_heads=32, num_key_value_heads=8)
    cfg = LlamaConfig(vocab_size=32000, max_position_embeddings=2048, rms_norm_eps=1e-5, tie_word_embeddings=False, **dims)
    theta = getattr(cfg, 'rope_theta', None)
    if theta is None:
        theta = (getattr(cfg, 'rope_parameters', None) or {}).get('rope_theta', 10000.0)
    log(f'transformers {transformers.__version__}, torch {torch.__version__}, rope_theta {theta}')
    torch.manual_seed(1234)
    t0 = time.time()
    with torch.device(dev):
        model = LlamaForCausalLM(cfg).to(torch.bfloat16)
    with torch.no_grad():  # non-trivial norm weights so that the norm multiply is checked too
        for n, p in model.named_parameters():
            if n.endswith('norm.weight'):
                p.copy_(torch.empty_like(p, dtype=torch.float32).uniform_(0.8, 1.2).to(p.dtype))
    model.eval()
    n_params = sum(p.numel() for p in model.parameters())
    log(f'model: {n_params / 1e9:.3f}B parameters, BF16, built in {time.time() - t0:.1f} s')

    H, L, nh, nkv = dims['hidden_size'], dims['num_hidden_layers'], dims['num_attention_heads'], dims['num_key_value_heads']
    sd = model.state_dict()
    meta = [('general.architecture', 'str', 'llama'), ('general.name', 'str', 'sextant-random-llama'),
            ('llama.block_count', 'u32', L), ('llama.context_length', 'u32', 2048), ('llama.embedding_length', 'u32', H),
            ('llama.feed_forward_length', 'u32', dims['intermediate_size']), ('llama.attention.head_count', 'u32', nh),
            ('llama.attention.head_count_kv', 'u32', nkv), ('llama.rope.freq_base', 'f32', float(theta)),
            ('llama.attention.layer_norm_rms_epsilon', 'f32', 1e-5), ('llama.rope.dimension_count', 'u32', H // nh)]
    BF16, F32 = 30, 0
    tensors = []

    def add(name, t, permute_heads=None, f32=False):
        t = t.detach()
        if permute_heads:
            t = permute(t, permute_heads)
        ne = list(reversed(t.shape))
        data = t.float().contiguous().cpu().numpy().tobytes() if f32 else bf16_bytes(t)
        tensors.append((name, F32 if f32 else BF16, ne, data))

    add('token_embd.weight', sd['model.embed_tokens.weight'])
    add('output_norm.weight', sd['model.norm.weight'], f32=True)
    add('output.weight', sd['lm_head.weight'])
    for i in range(L):
        p = f'model.layers.{i}.'
        add(f'blk.{i}.attn_norm.weight', sd[p + 'input_layernorm.weight'], f32=True)
        add(f'blk.{i}.attn_q.weight', sd[p + 'self_attn.q_proj.weight'], permute_heads=nh)
        add(f'blk.{i}.attn_k.weight', sd[p + 'self_attn.k_proj.weight'], permute_heads=nkv)
        add(f'blk.{i}.attn_v.weight', sd[p + 'self_attn.v_proj.weight'])
        add(f'blk.{i}.attn_output.weight', sd[p + 'self_attn.o_proj.weight'])
        add(f'blk.{i}.ffn_norm.weight', sd[p + 'post_attention_layernorm.weight'], f32=True)
        add(f'blk.{i}.ffn_gate.weight', sd[p + 'mlp.gate_proj.weight'])
        add(f'blk.{i}.ffn_up.weight', sd[p + 'mlp.up_proj.weight'])
        add(f'blk.{i}.ffn_down.weight', sd[p + 'mlp.down_proj.weight'])
    gguf = '/tmp/sextant-llama-bf16.gguf'
    t0 = time.time()
    write_gguf(gguf, meta, tensors)
    del tensors
    log(f'gguf: {gguf}, {os.path.getsize(gguf) / 1e9:.2f} GB, written in {time.time() - t0:.1f} s')
    if args.gguf_only:
        return 0
    report = {'model': {'params': n_params, 'hidden': H, 'layers': L, 'heads': nh, 'kv_heads': nkv,
                        'ffn': dims['intermediate_size'], 'vocab': 32000, 'dtype': 'bf16'},
              'device': torch.cuda.get_device_name(0)}

    # ---- 3. logits vs PyTorch ----
    rng = np.random.default_rng(7)
    ids = [1] + rng.integers(2, 32000, size=23).tolist()
    binp = '/tmp/sextant-logits.bin'
    r = subprocess.run([args.bin, 'logits', gguf, binp] + [str(i) for i in ids], capture_output=True, text=True, timeout=180)
    log(r.stdout.strip()); log(r.stderr.strip()) if r.stderr.strip() else None
    ok3 = False
    if r.returncode == 0:
        raw = np.fromfile(binp, dtype=np.float32)
        n, V = int(raw[:2].view(np.int32)[0]), int(raw[:2].view(np.int32)[1])
        pre = raw[2:2 + n * V].reshape(n, V)
        inc = raw[2 + n * V:2 + 2 * n * V].reshape(n, V)
        with torch.no_grad():
            x = torch.tensor([ids], device=dev)
            ref_bf16 = model(x).logits[0].float().cpu().numpy()
            m32 = LlamaForCausalLM(cfg).to(dev)
            m32.load_state_dict({k: v.float() for k, v in sd.items()})
            m32.eval()
            ref = m32(x).logits[0].float().cpu().numpy()
            del m32
            torch.cuda.empty_cache()

        def cmp(a):
            a64, r64 = a.astype(np.float64), ref.astype(np.float64)
            return {'nmse': float(((a64 - r64) ** 2).sum() / (r64 ** 2).sum()), 'max_abs': float(np.abs(a64 - r64).max()),
                    'argmax_agree': int((a.argmax(-1) == ref.argmax(-1)).sum()), 'positions': int(n)}
        res = {'sextant_prefill_one_call': cmp(pre), 'sextant_one_token_at_a_time': cmp(inc), 'hf_bf16_same_weights': cmp(ref_bf16)}
        for k, v in res.items():
            log(f'logits {k:28s} vs HF float32: NMSE {v["nmse"]:.3e}, max|diff| {v["max_abs"]:.4f}, argmax agrees {v["argmax_agree"]}/{v["positions"]}')
        ok3 = res['sextant_prefill_one_call']['nmse'] < 5e-3 and res['sextant_one_token_at_a_time']['nmse'] < 1e-3
        report['logits'] = res
    report['logits_ok'] = ok3
    log(f'logits check: {"PASS" if ok3 else "FAIL"}')

    # ---- 4. decode benchmark: ours, then HF generate ----
    r = subprocess.run([args.bin, 'bench', gguf, '1,8,64', str(args.steps)], capture_output=True, text=True, timeout=300)
    log(r.stdout.strip()); log(r.stderr.strip()) if r.stderr.strip() else None
    ours = {}
    for line in r.stdout.splitlines():
        if line.startswith('BENCH_JSON '):
            j = json.loads(line[len('BENCH_JSON '):])
            ours[j['batch']] = j
    hf = {}
    N = args.hf_tokens
    for B in (1, 8, 64):
        try:
            x = torch.randint(2, 32000, (B, 8), device=dev)
            with torch.no_grad():
                model.generate(x, attention_mask=torch.ones_like(x), max_new_tokens=4, min_new_tokens=4, do_sample=False, pad_token_id=0)
                torch.cuda.synchronize()
                t0 = time.time()
                out = model.generate(x, attention_mask=torch.ones_like(x), max_new_tokens=N, min_new_tokens=N, do_sample=False, pad_token_id=0)
                torch.cuda.synchronize()
                dt = time.time() - t0
            gen = out.shape[1] - x.shape[1]
            hf[B] = B * gen / dt
            log(f'hf generate: batch {B}: {gen} new tokens per sequence in {dt:.2f} s: {hf[B]:.1f} tok/s')
        except Exception as e:  # report, keep going
            log(f'hf generate: batch {B}: failed: {e!r}')
    rows = []
    for B in (1, 8, 64):
        o = ours.get(B, {}).get('tok_s')
        h = hf.get(B)
        rows.append({'batch': B, 'sextant_tok_s': o, 'hf_tok_s': h, 'ratio': (o / h) if o and h else None})
    report['bench'] = rows
    if 1 in ours:
        j = ours[1]
        report['roofline'] = {'copy_bw_GBs': j['copy_bw'] / 1e9, 'weight_GB_per_token': j['weight_bytes'] / 1e9,
                              'roofline_tok_s': j['copy_bw'] / j['weight_bytes'], 'fraction_batch1': j['weight_bytes'] * j['tok_s'] / j['copy_bw']}
    log('')
    log(f'| batch | Sextant CUDA tok/s | HF transformers generate tok/s | ratio |')
    log(f'|---|---|---|---|')
    for row in rows:
        f = lambda v, p='.1f': ('%' + p) % v if v is not None else 'n/a'
        log(f'| {row["batch"]} | {f(row["sextant_tok_s"])} | {f(row["hf_tok_s"])} | {f(row["ratio"], ".2f")}x |')
    if 'roofline' in report:
        rl = report['roofline']
        log(f'roofline at batch 1: copy {rl["copy_bw_GBs"]:.0f} GB/s, {rl["weight_GB_per_token"]:.3f} GB/token -> '
            f'{rl["roofline_tok_s"]:.0f} tok/s; measured fraction {rl["fraction_batch1"]:.3f} (target >= 0.85)')
    b64 = rows[2]['ratio']
    log(f'batch 64 vs HF: {b64:.2f}x (target >= 3x)' if b64 else 'batch 64 vs HF: n/a')
    with open(os.path.join(args.out, 'llama_check.json'), 'w') as f:
        json.dump(report, f, indent=1)
    return 0 if ok3 and ours else 1


if __name__ == '__main__':
    sys.exit(main())
