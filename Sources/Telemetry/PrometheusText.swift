/// The Prometheus text exposition format (0.0.4): names, escaping, numbers.
enum PrometheusText {
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isNameStart(first) else { return false }
        return name.unicodeScalars.allSatisfy { isNameStart($0) || ("0"..."9").contains($0) }
    }

    private static func isNameStart(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" || c == ":"
    }

    static func header(name: String, help: String, kind: MetricKind, into out: inout String) {
        out += "# HELP \(name) "
        for c in help.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        out += "\n# TYPE \(name) \(kind.rawValue)\n"
    }

    static func sample<Labels: Sequence>(_ name: String, labels: Labels, value: Double, into out: inout String)
    where Labels.Element == (String, String) {
        out += name
        var first = true
        for (key, labelValue) in labels {
            out += first ? "{" : ","
            first = false
            out += key
            out += "=\""
            escapeLabelValue(labelValue, into: &out)
            out += "\""
        }
        if !first { out += "}" }
        out += " "
        out += format(value)
        out += "\n"
    }

    static func escapeLabelValue(_ value: String, into out: inout String) {
        for c in value.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
