package dev.plinth.reader.extract;

import java.util.Map;

/**
 * What a page says about itself, gathered from JSON-LD, OpenGraph, Twitter and Dublin Core tags and
 * then the document. Absent values are null.
 *
 * @param title the article's title
 * @param description its summary
 * @param byline author(s)
 * @param publishedTime publication time as the page gives it (ISO 8601 when it does)
 * @param lang language code
 * @param siteName the publication's name
 * @param image lead image URL
 * @param meta every {@code <meta name|property content>} of the page, first value wins
 */
public record Metadata(
        String title,
        String description,
        String byline,
        String publishedTime,
        String lang,
        String siteName,
        String image,
        Map<String, String> meta) {

    public Metadata {
        meta = meta == null ? Map.of() : Map.copyOf(meta);
    }
}
