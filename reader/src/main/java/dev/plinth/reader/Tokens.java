package dev.plinth.reader;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;

/** Token counts in OpenAI's {@code cl100k_base}, the unit LLM users budget with. */
public final class Tokens {

    private static final Encoding CL100K =
            Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);

    private Tokens() {}

    /** The cl100k_base encoding, shared (it is thread-safe). */
    public static Encoding cl100k() {
        return CL100K;
    }

    /** Number of tokens in {@code text}. */
    public static int count(String text) {
        return text == null || text.isEmpty() ? 0 : CL100K.countTokensOrdinary(text);
    }

    /** The longest prefix of {@code text} that is at most {@code max} tokens. */
    public static String truncate(String text, int max) {
        IntArrayList ids = CL100K.encodeOrdinary(text);
        if (ids.size() <= max) {
            return text;
        }
        IntArrayList head = new IntArrayList(max);
        for (int i = 0; i < max; i++) {
            head.add(ids.get(i));
        }
        String prefix = CL100K.decode(head);
        // A cut inside a multi-byte character decodes to U+FFFD; drop it rather than emit garbage.
        int end = prefix.length();
        while (end > 0 && prefix.charAt(end - 1) == '\uFFFD') {
            end--;
        }
        return prefix.substring(0, end);
    }
}
