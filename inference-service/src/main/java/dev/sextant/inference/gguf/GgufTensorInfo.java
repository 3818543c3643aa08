package dev.sextant.inference.gguf;

import java.util.Arrays;

/**
 * A tensor's entry in a GGUF file. {@code shape} is in ggml order: {@code shape[0]} is the row length
 * (contiguous), e.g. {@code token_embd.weight} is {@code [n_embd, n_vocab]}.
 *
 * @param offset     offset of the data relative to the start of the tensor data section
 * @param fileOffset absolute offset of the data in the file
 */
public record GgufTensorInfo(String name, GgmlType type, long[] shape, long offset, long fileOffset) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public long byteSize() {
        return type.byteSize(elementCount());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && type == t.type && Arrays.equals(shape, t.shape)
                && offset == t.offset && fileOffset == t.fileOffset;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape) + " @" + fileOffset;
    }
}
