extension HTML {
    /// A label in a pill; `style` picks its colour in `console.css` (by default the label, lower-cased).
    public static func badge(_ label: String, style: String? = nil) -> HTML {
        "<span class=\"badge \(style ?? label.lowercased())\">\(label)</span>"
    }

    /// A verdict or validation as a badge: "passed" in green, "failed" in red.
    public static func verdict(_ passed: Bool) -> HTML {
        badge(passed ? "passed" : "failed", style: passed ? "pass" : "fail")
    }

    /// A definition list: name, then value, for a page's facts.
    public static func facts(_ items: [(String, HTML)]) -> HTML {
        "<dl class=\"facts\">\(items.map { name, value -> HTML in "<dt>\(name)</dt><dd>\(value)</dd>" })</dl>"
    }

    /// A two-column table of a dictionary (params, tags), by key.
    public static func keyValues(_ values: [String: String]) -> HTML {
        guard !values.isEmpty else { return "<p class=\"muted\">none</p>" }
        let rows = values.sorted { $0.key < $1.key }.map { key, value -> HTML in
            "<tr><th>\(key)</th><td>\(value)</td></tr>"
        }
        return "<div class=\"scroll\"><table>\(rows)</table></div>"
    }
}

extension HTML {
    /// `pieces` wrapped by `wrap`, or a muted note saying there are none.
    public static func listing(_ pieces: [HTML], none: String, _ wrap: (HTML) -> HTML = { "<ul>\($0)</ul>" }) -> HTML {
        pieces.isEmpty ? "<p class=\"muted\">\(none)</p>" : wrap(HTML.joined(pieces))
    }
}
