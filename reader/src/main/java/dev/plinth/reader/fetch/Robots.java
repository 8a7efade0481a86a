package dev.plinth.reader.fetch;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A parsed robots.txt and the question it answers: may this user agent fetch this path?
 *
 * <p>Follows RFC 9309: groups start at one or more {@code user-agent} lines; the crawler's product
 * token matches a group case-insensitively, else the {@code *} group applies; all groups naming the
 * agent are merged; among the {@code allow}/{@code disallow} rules matching the path the longest
 * pattern wins, and an allow wins a tie; {@code *} matches any run of characters and a trailing
 * {@code $} anchors the end. An empty {@code disallow} allows everything.
 */
final class Robots {

    private record Rule(String pattern, boolean allow) {}

    private record Group(List<String> agents, List<Rule> rules) {}

    private final List<Group> groups;

    private Robots(List<Group> groups) {
        this.groups = groups;
    }

    /** Parses robots.txt text; lines it does not understand are skipped, as the RFC asks. */
    static Robots parse(String text) {
        List<Group> groups = new ArrayList<>();
        Group current = null;
        boolean lastWasAgent = false;
        for (String raw : text.split("\r\n|\r|\n")) {
            int hash = raw.indexOf('#');
            String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String key = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            switch (key) {
                case "user-agent" -> {
                    if (current == null || !lastWasAgent) {
                        current = new Group(new ArrayList<>(), new ArrayList<>());
                        groups.add(current);
                    }
                    current.agents.add(productToken(value));
                    lastWasAgent = true;
                }
                case "allow", "disallow" -> {
                    if (current != null && !value.isEmpty()) {
                        current.rules.add(new Rule(value, key.equals("allow")));
                    }
                    lastWasAgent = false;
                }
                default -> lastWasAgent = false;
            }
        }
        return new Robots(groups);
    }

    /** Whether {@code userAgent} may fetch {@code pathAndQuery} (e.g. {@code /a/b?c=d}). */
    boolean allows(String userAgent, String pathAndQuery) {
        if (pathAndQuery.equals("/robots.txt")) {
            return true;
        }
        String token = productToken(userAgent);
        List<Rule> rules = rulesFor(token);
        if (rules.isEmpty() && !token.equals("*")) {
            rules = rulesFor("*");
        }
        Rule best = null;
        for (Rule rule : rules) {
            if (matches(rule.pattern, pathAndQuery)
                    && (best == null
                            || rule.pattern.length() > best.pattern.length()
                            || rule.pattern.length() == best.pattern.length() && rule.allow)) {
                best = rule;
            }
        }
        return best == null || best.allow;
    }

    private List<Rule> rulesFor(String token) {
        List<Rule> rules = new ArrayList<>();
        boolean named = false;
        for (Group group : groups) {
            if (group.agents.contains(token)) {
                rules.addAll(group.rules);
                named = true;
            }
        }
        return named ? rules : List.of();
    }

    /**
     * {@code Googlebot/2.1 (+http://…)} → {@code googlebot}: the name before any version or
     * comment.
     */
    private static String productToken(String userAgent) {
        String token = userAgent.strip();
        int end = 0;
        while (end < token.length()
                && (Character.isLetterOrDigit(token.charAt(end))
                        || "-_*".indexOf(token.charAt(end)) >= 0)) {
            end++;
        }
        return token.substring(0, end).toLowerCase(Locale.ROOT);
    }

    /**
     * Pattern match with {@code *} wildcards and a {@code $} end anchor, by backtracking over the
     * stars.
     */
    static boolean matches(String pattern, String path) {
        boolean anchored = pattern.endsWith("$");
        String p = anchored ? pattern.substring(0, pattern.length() - 1) : pattern;
        int pi = 0;
        int si = 0;
        int star = -1;
        int starMatch = 0;
        while (si < path.length()) {
            if (pi < p.length() && p.charAt(pi) != '*' && p.charAt(pi) == path.charAt(si)) {
                pi++;
                si++;
            } else if (pi < p.length() && p.charAt(pi) == '*') {
                star = pi++;
                starMatch = si;
            } else if (pi == p.length() && !anchored) {
                return true; // a prefix match is enough
            } else if (star >= 0) {
                pi = star + 1;
                si = ++starMatch;
            } else {
                return false;
            }
        }
        while (pi < p.length() && p.charAt(pi) == '*') {
            pi++;
        }
        return pi == p.length();
    }
}
