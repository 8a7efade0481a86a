package dev.plinth.reader.markdown;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;

/**
 * Presentation MathML as TeX, for {@code <math>} that carries neither {@code alttext} nor a TeX
 * annotation. Covers the elements real pages use (tokens, rows, scripts, fractions, roots, fences,
 * under/over, tables); anything else contributes its children. The result is meant for a reader or
 * a model, not for round-tripping: {@code <mi>x</mi><mn>2</mn>} in an {@code msup} reads {@code
 * x^{2}}. Reference: MathML Core (https://www.w3.org/TR/mathml-core/).
 */
final class MathMl {

    private static final Set<String> FUNCTIONS =
            Set.of(
                    "sin", "cos", "tan", "cot", "sec", "csc", "log", "ln", "exp", "lim", "max",
                    "min", "sup", "inf", "det", "arg", "deg", "dim", "gcd", "sinh", "cosh", "tanh");

    private static final Map<String, String> OPERATORS =
            Map.ofEntries(
                    Map.entry("∑", "\\sum"),
                    Map.entry("∏", "\\prod"),
                    Map.entry("∫", "\\int"),
                    Map.entry("∮", "\\oint"),
                    Map.entry("∞", "\\infty"),
                    Map.entry("≤", "\\le"),
                    Map.entry("≥", "\\ge"),
                    Map.entry("≠", "\\ne"),
                    Map.entry("≈", "\\approx"),
                    Map.entry("×", "\\times"),
                    Map.entry("·", "\\cdot"),
                    Map.entry("⋅", "\\cdot"),
                    Map.entry("→", "\\to"),
                    Map.entry("←", "\\leftarrow"),
                    Map.entry("⇒", "\\Rightarrow"),
                    Map.entry("⇔", "\\Leftrightarrow"),
                    Map.entry("±", "\\pm"),
                    Map.entry("∓", "\\mp"),
                    Map.entry("−", "-"),
                    Map.entry("∈", "\\in"),
                    Map.entry("∉", "\\notin"),
                    Map.entry("⊂", "\\subset"),
                    Map.entry("⊆", "\\subseteq"),
                    Map.entry("∪", "\\cup"),
                    Map.entry("∩", "\\cap"),
                    Map.entry("∀", "\\forall"),
                    Map.entry("∃", "\\exists"),
                    Map.entry("∂", "\\partial"),
                    Map.entry("∇", "\\nabla"),
                    Map.entry("…", "\\ldots"),
                    Map.entry("⋯", "\\cdots"),
                    Map.entry("\u2061", ""),
                    Map.entry("\u2062", ""),
                    Map.entry("\u2063", ","));

    private MathMl() {}

    static String toTex(Element math) {
        return tex(math).replaceAll("\\s+", " ").strip();
    }

    private static String tex(Element e) {
        List<Element> c = e.children();
        return switch (e.normalName()) {
            case "mi" -> {
                String t = e.text().strip();
                String op = OPERATORS.get(t); // ∞, ∂ and ∇ come as identifiers too
                if (op != null || FUNCTIONS.contains(t)) {
                    yield (op != null ? op : "\\" + t) + " ";
                }
                yield t.length() > 1 ? "\\mathrm{" + t + "}" : t;
            }
            case "mn" -> e.text().strip();
            case "mo" -> {
                String t = e.text().strip();
                String op =
                        OPERATORS.getOrDefault(t, t.equals("{") || t.equals("}") ? "\\" + t : t);
                yield op.matches("\\\\[A-Za-z]+") ? op + " " : op; // "\\le x", not "\\lex"
            }
            case "mtext", "ms" -> e.text().isBlank() ? " " : "\\text{" + e.text().strip() + "}";
            case "mspace" -> " ";
            case "msup" ->
                    c.size() < 2 ? all(e) : group(tex(c.get(0))) + "^{" + arg(c.get(1)) + "}";
            case "msub" ->
                    c.size() < 2 ? all(e) : group(tex(c.get(0))) + "_{" + arg(c.get(1)) + "}";
            case "msubsup", "munderover" ->
                    c.size() < 3
                            ? all(e)
                            : group(tex(c.get(0)))
                                    + "_{"
                                    + arg(c.get(1))
                                    + "}^{"
                                    + arg(c.get(2))
                                    + "}";
            case "munder" ->
                    c.size() < 2 ? all(e) : group(tex(c.get(0))) + "_{" + arg(c.get(1)) + "}";
            case "mover" ->
                    c.size() < 2
                            ? all(e)
                            : "\\overset{" + arg(c.get(1)) + "}{" + arg(c.get(0)) + "}";
            case "mfrac" ->
                    c.size() < 2 ? all(e) : "\\frac{" + arg(c.get(0)) + "}{" + arg(c.get(1)) + "}";
            case "msqrt" -> "\\sqrt{" + all(e).strip() + "}";
            case "mroot" ->
                    c.size() < 2 ? all(e) : "\\sqrt[" + arg(c.get(1)) + "]{" + arg(c.get(0)) + "}";
            case "mfenced" -> {
                List<String> parts = new ArrayList<>();
                c.forEach(child -> parts.add(tex(child)));
                yield e.attr("open").isEmpty() && !e.hasAttr("open")
                        ? "(" + String.join(",", parts) + ")"
                        : e.attr("open") + String.join(",", parts) + e.attr("close");
            }
            case "mtable" -> {
                List<String> rows = new ArrayList<>();
                for (Element row : c) {
                    List<String> cells = new ArrayList<>();
                    row.children().forEach(cell -> cells.add(tex(cell)));
                    rows.add(String.join(" & ", cells));
                }
                yield "\\begin{matrix}" + String.join(" \\\\ ", rows) + "\\end{matrix}";
            }
            case "semantics" -> c.isEmpty() ? "" : tex(c.get(0));
            case "annotation", "annotation-xml", "mphantom", "none", "mprescripts" -> "";
            default -> all(e);
        };
    }

    private static String arg(Element e) {
        return tex(e).strip();
    }

    private static String all(Element e) {
        StringBuilder sb = new StringBuilder();
        for (Node child : e.childNodes()) {
            if (child instanceof Element el) {
                sb.append(tex(el));
            } else if (child instanceof TextNode t && !t.isBlank()) {
                sb.append(t.text().strip());
            }
        }
        return sb.toString();
    }

    private static String group(String s) {
        s = s.strip();
        return s.length() == 1 || s.matches("\\\\[A-Za-z]+") ? s : "{" + s + "}";
    }
}
