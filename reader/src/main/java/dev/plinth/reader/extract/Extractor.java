package dev.plinth.reader.extract;

import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/** Finds a page's main content and metadata. (Skeleton.) */
public final class Extractor {

    /** The main content (a detached element tree) and the page's metadata. */
    public record Extraction(Element content, Metadata metadata) {}

    private Extractor() {}

    /** Extracts the main content of {@code doc}; never throws on messy HTML and never returns null content. */
    public static Extraction extract(Document doc) {
        Element body = doc.body() == null ? new Element("body") : doc.body().clone();
        return new Extraction(body, new Metadata(doc.title(), null, null, null, null, null, null, null));
    }

    /** The page's metadata alone. */
    public static Metadata metadata(Document doc) {
        return extract(doc).metadata();
    }
}
