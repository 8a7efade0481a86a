package dev.plinth.reader.fetch;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RobotsTest {

    private static final Robots ROBOTS =
            Robots.parse(
                    """
                    # comments and unknown lines are skipped
                    Sitemap: https://example.com/sitemap.xml

                    User-agent: *
                    Disallow: /private
                    Allow: /private/press
                    Disallow: /*.pdf$

                    User-agent: PlinthBot
                    User-agent: otherbot
                    Disallow: /drafts/
                    Allow: /drafts/public$
                    Disallow:

                    User-agent: plinthbot
                    Disallow: /tmp
                    """);

    @Test
    void longestMatchWinsAndAllowWinsTies() {
        assertFalse(ROBOTS.allows("somebot", "/private/x"));
        assertTrue(ROBOTS.allows("somebot", "/private/press/release"));
        assertTrue(ROBOTS.allows("somebot", "/public"));
    }

    @Test
    void wildcardsAndEndAnchor() {
        assertFalse(ROBOTS.allows("somebot", "/files/report.pdf"));
        assertTrue(ROBOTS.allows("somebot", "/files/report.pdf?download=1"));
        assertTrue(Robots.matches("/a*c", "/abbbc/d"));
        assertFalse(Robots.matches("/a*c$", "/abbbc/d"));
    }

    @Test
    void namedGroupsReplaceTheStarGroupAndMerge() {
        assertTrue(ROBOTS.allows("PlinthBot/1.0 (+https://plinth.dev)", "/private/x"));
        assertFalse(ROBOTS.allows("plinthbot", "/drafts/one"));
        assertTrue(ROBOTS.allows("plinthbot", "/drafts/public"));
        assertFalse(ROBOTS.allows("plinthbot", "/drafts/public/more"));
        assertFalse(ROBOTS.allows("plinthbot", "/tmp/file"));
        assertTrue(ROBOTS.allows("otherbot", "/tmp/file"));
    }

    @Test
    void robotsTxtItselfIsAlwaysAllowed() {
        assertTrue(Robots.parse("User-agent: *\nDisallow: /").allows("x", "/robots.txt"));
        assertFalse(Robots.parse("User-agent: *\nDisallow: /").allows("x", "/"));
    }
}
