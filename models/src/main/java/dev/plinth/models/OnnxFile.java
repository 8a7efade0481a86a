package dev.plinth.models;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Just enough of the ONNX file format ({@code onnx.proto}, protobuf) to rewrite a graph: a model's
 * nodes and initializers are read into editable objects; every other field, at every level, is kept
 * as its original bytes and written back untouched, so nothing the rewrite does not understand is
 * lost.
 *
 * <p>Field numbers are ONNX's: ModelProto {@code opset_import = 8, graph = 7}; GraphProto {@code
 * node = 1, initializer = 5}; NodeProto {@code input = 1, output = 2, name = 3, op_type = 4,
 * attribute = 5, domain = 7}; AttributeProto {@code name = 1, f = 2, i = 3, t = 5, ints = 8, type =
 * 20}; TensorProto {@code dims = 1, data_type = 2, float_data = 4, int32_data = 5, int64_data = 7,
 * name = 8, raw_data = 9, data_location = 14}. Tensors are always written back as {@code raw_data};
 * files whose weights live outside the file ({@code data_location} external) are refused.
 */
final class OnnxFile {

    /** ONNX tensor element types used here. */
    static final int FLOAT = 1, UINT8 = 2, INT8 = 3, INT64 = 7;

    /** A model: its graph, its operator sets, and its other fields as they were. */
    static final class Model {
        final List<byte[]> otherFields = new ArrayList<>();
        final List<Opset> opsets = new ArrayList<>();
        Graph graph;

        /** Adds an operator set import unless the domain has one. */
        void requireOpset(String domain, long version) {
            for (Opset o : opsets) if (o.domain.equals(domain)) return;
            opsets.add(new Opset(domain, version));
        }

        /** The version imported for {@code domain} ("" is ONNX's own), or -1. */
        long opsetVersion(String domain) {
            for (Opset o : opsets) if (o.domain.equals(domain)) return o.version;
            return -1;
        }
    }

    /** An operator set import. */
    record Opset(String domain, long version) {}

    /** A graph: nodes in order and initializers; other fields as they were. */
    static final class Graph {
        final List<byte[]> otherFields = new ArrayList<>();
        final List<Node> nodes = new ArrayList<>();
        final List<Tensor> initializers = new ArrayList<>();
    }

    /** A node; its attributes kept as encoded bytes with their names and the values read here. */
    static final class Node {
        final List<String> inputs = new ArrayList<>();
        final List<String> outputs = new ArrayList<>();
        String name = "";
        String opType = "";
        String domain = "";
        final List<Attribute> attributes = new ArrayList<>();
        final List<byte[]> otherFields = new ArrayList<>();

        Node(String opType, String domain, List<String> inputs, List<String> outputs) {
            this.opType = opType;
            this.domain = domain;
            this.inputs.addAll(inputs);
            this.outputs.addAll(outputs);
        }

        private Node() {}

        /** Input {@code i}, or "" when absent. */
        String input(int i) {
            return i < inputs.size() ? inputs.get(i) : "";
        }

        /** The attribute named {@code name}, or null. */
        Attribute attribute(String name) {
            for (Attribute a : attributes) if (a.name.equals(name)) return a;
            return null;
        }

        Node with(Attribute a) {
            attributes.add(a);
            return this;
        }
    }

    /**
     * An attribute: its encoded bytes, plus the values this rewrite reads (a float, an int, ints, a
     * tensor).
     */
    record Attribute(String name, byte[] encoded, Float f, Long i, long[] ints, Tensor t) {
        static Attribute ofInt(String name, long value) {
            return encode(name, 2, null, value, null);
        }

        static Attribute ofFloat(String name, float value) {
            return encode(name, 1, value, null, null);
        }

        static Attribute ofInts(String name, long... values) {
            return encode(name, 7, null, null, values);
        }

        private static Attribute encode(String name, int type, Float f, Long i, long[] ints) {
            byte[] bytes =
                    write(out -> {
                        out.writeString(1, name);
                        if (f != null) out.writeFloat(2, f);
                        if (i != null) out.writeInt64(3, i);
                        if (ints != null) for (long v : ints) out.writeInt64(8, v);
                        out.writeEnum(20, type);
                    });
            return new Attribute(name, bytes, f, i, ints, null);
        }
    }

    /** A tensor's name, shape, element type and little-endian bytes. */
    static final class Tensor {
        String name;
        long[] dims;
        int dataType;
        byte[] raw;
        final List<byte[]> otherFields = new ArrayList<>();

        Tensor(String name, long[] dims, int dataType, byte[] raw) {
            this.name = name;
            this.dims = dims;
            this.dataType = dataType;
            this.raw = raw;
        }

        private Tensor() {}

        long size() {
            long n = 1;
            for (long d : dims) n *= d;
            return n;
        }

        /** The values of a float tensor. */
        float[] floats() {
            if (dataType != FLOAT)
                throw new IllegalStateException(name + " is of type " + dataType + ", not float");
            float[] v = new float[raw.length / 4];
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            return v;
        }

        static Tensor ofFloats(String name, long[] dims, float[] values) {
            ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            return new Tensor(name, dims, FLOAT, b.array());
        }

        static Tensor ofBytes(String name, long[] dims, int type, byte[] values) {
            return new Tensor(name, dims, type, values);
        }
    }

    private OnnxFile() {}

    // ---- reading ----

    /** Parses a whole model file. */
    static Model read(byte[] bytes) {
        try {
            Model m = new Model();
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setSizeLimit(Integer.MAX_VALUE);
            int start = in.getTotalBytesRead();
            for (int tag; (tag = in.readTag()) != 0; start = in.getTotalBytesRead()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 7 -> m.graph = readGraph(in.readByteArray());
                    case 8 -> m.opsets.add(readOpset(in.readByteArray()));
                    default -> m.otherFields.add(skip(in, tag, bytes, start));
                }
            }
            if (m.graph == null) throw new IllegalArgumentException("the file holds no graph");
            return m;
        } catch (IOException e) {
            throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
        }
    }

    private static Opset readOpset(byte[] bytes) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        String domain = "";
        long version = 0;
        for (int tag; (tag = in.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> domain = in.readString();
                case 2 -> version = in.readInt64();
                default -> in.skipField(tag);
            }
        }
        return new Opset(domain, version);
    }

    private static Graph readGraph(byte[] bytes) throws IOException {
        Graph g = new Graph();
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        in.setSizeLimit(Integer.MAX_VALUE);
        int start = in.getTotalBytesRead();
        for (int tag; (tag = in.readTag()) != 0; start = in.getTotalBytesRead()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> g.nodes.add(readNode(in.readByteArray()));
                case 5 -> g.initializers.add(readTensor(in.readByteArray()));
                default -> g.otherFields.add(skip(in, tag, bytes, start));
            }
        }
        return g;
    }

    private static Node readNode(byte[] bytes) throws IOException {
        Node n = new Node();
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        int start = in.getTotalBytesRead();
        for (int tag; (tag = in.readTag()) != 0; start = in.getTotalBytesRead()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> n.inputs.add(in.readString());
                case 2 -> n.outputs.add(in.readString());
                case 3 -> n.name = in.readString();
                case 4 -> n.opType = in.readString();
                case 5 -> n.attributes.add(readAttribute(in.readByteArray()));
                case 7 -> n.domain = in.readString();
                default -> n.otherFields.add(skip(in, tag, bytes, start));
            }
        }
        return n;
    }

    private static Attribute readAttribute(byte[] bytes) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        String name = "";
        Float f = null;
        Long i = null;
        List<Long> ints = new ArrayList<>();
        Tensor t = null;
        for (int tag; (tag = in.readTag()) != 0; ) {
            int field = WireFormat.getTagFieldNumber(tag);
            switch (field) {
                case 1 -> name = in.readString();
                case 2 -> f = in.readFloat();
                case 3 -> i = in.readInt64();
                case 5 -> t = readTensor(in.readByteArray());
                case 8 -> {
                    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int limit = in.pushLimit(in.readRawVarint32());
                        while (in.getBytesUntilLimit() > 0) ints.add(in.readInt64());
                        in.popLimit(limit);
                    } else {
                        ints.add(in.readInt64());
                    }
                }
                default -> in.skipField(tag);
            }
        }
        long[] values = ints.stream().mapToLong(Long::longValue).toArray();
        return new Attribute(name, bytes, f, i, values, t);
    }

    private static Tensor readTensor(byte[] bytes) throws IOException {
        Tensor t = new Tensor();
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        in.setSizeLimit(Integer.MAX_VALUE);
        List<Long> dims = new ArrayList<>();
        ByteArrayOutputStream typed = new ByteArrayOutputStream();
        ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        t.name = "";
        int start = in.getTotalBytesRead();
        for (int tag; (tag = in.readTag()) != 0; start = in.getTotalBytesRead()) {
            int field = WireFormat.getTagFieldNumber(tag);
            boolean packed = WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
            switch (field) {
                case 1 -> {
                    if (packed) {
                        int limit = in.pushLimit(in.readRawVarint32());
                        while (in.getBytesUntilLimit() > 0) dims.add(in.readInt64());
                        in.popLimit(limit);
                    } else {
                        dims.add(in.readInt64());
                    }
                }
                case 2 -> t.dataType = in.readInt32();
                case 8 -> t.name = in.readString();
                case 9 -> t.raw = in.readByteArray();
                // Typed value fields become raw little-endian bytes: 4 floats, 7 int64s; int32_data
                // (5) carries the small types, one value per element.
                case 4, 5, 7 -> {
                    int limit = packed ? in.pushLimit(in.readRawVarint32()) : -1;
                    do {
                        scratch.clear();
                        if (field == 4) scratch.putFloat(in.readFloat());
                        else if (field == 7) scratch.putLong(in.readInt64());
                        else scratch.putInt(in.readInt32());
                        typed.write(scratch.array(), 0, scratch.position());
                    } while (packed && in.getBytesUntilLimit() > 0);
                    if (packed) in.popLimit(limit);
                }
                case 14 -> {
                    if (in.readInt32() != 0)
                        throw new IllegalArgumentException(
                                "tensor " + t.name + " keeps its data outside the file");
                }
                default -> t.otherFields.add(skip(in, tag, bytes, start));
            }
        }
        t.dims = dims.stream().mapToLong(Long::longValue).toArray();
        if (t.raw == null) {
            byte[] values = typed.toByteArray();
            // int32_data holds 1-byte types as one int each: narrow them to their real width.
            if (t.dataType == UINT8 || t.dataType == INT8) {
                byte[] narrow = new byte[values.length / 4];
                for (int k = 0; k < narrow.length; k++) narrow[k] = values[4 * k];
                values = narrow;
            }
            t.raw = values;
        }
        return t;
    }

    private static byte[] skip(CodedInputStream in, int tag, byte[] bytes, int start)
            throws IOException {
        in.skipField(tag);
        int end = in.getTotalBytesRead();
        byte[] field = new byte[end - start];
        System.arraycopy(bytes, start, field, 0, field.length);
        return field;
    }

    // ---- writing ----

    /** The model's file bytes. */
    static byte[] write(Model m) {
        return write(out -> {
            for (byte[] f : m.otherFields) out.writeRawBytes(f);
            for (Opset o : m.opsets)
                out.writeByteArray(
                        8,
                        write(o2 -> {
                            o2.writeString(1, o.domain());
                            o2.writeInt64(2, o.version());
                        }));
            out.writeByteArray(7, graphBytes(m.graph));
        });
    }

    private static byte[] graphBytes(Graph g) {
        return write(out -> {
            for (Node n : g.nodes) out.writeByteArray(1, nodeBytes(n));
            for (byte[] f : g.otherFields) out.writeRawBytes(f);
            for (Tensor t : g.initializers) out.writeByteArray(5, tensorBytes(t));
        });
    }

    private static byte[] nodeBytes(Node n) {
        return write(out -> {
            for (String s : n.inputs) out.writeString(1, s);
            for (String s : n.outputs) out.writeString(2, s);
            if (!n.name.isEmpty()) out.writeString(3, n.name);
            out.writeString(4, n.opType);
            for (Attribute a : n.attributes) out.writeByteArray(5, a.encoded());
            if (!n.domain.isEmpty()) out.writeString(7, n.domain);
            for (byte[] f : n.otherFields) out.writeRawBytes(f);
        });
    }

    private static byte[] tensorBytes(Tensor t) {
        return write(out -> {
            for (long d : t.dims) out.writeInt64(1, d);
            out.writeInt32(2, t.dataType);
            out.writeString(8, t.name);
            out.writeByteArray(9, t.raw);
            for (byte[] f : t.otherFields) out.writeRawBytes(f);
        });
    }

    private interface Writer {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] write(Writer w) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            w.write(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
