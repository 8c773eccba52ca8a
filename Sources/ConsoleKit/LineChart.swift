import Foundation

/// A small line chart drawn as inline SVG (no script, no file from elsewhere): one line per
/// series over a shared x axis, an optional dashed threshold line, the axes' ranges as
/// labels and a legend. Colours come from the stylesheet (`.series-0` ...).
public struct LineChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }
    }

    public var title: String
    public var series: [Series]
    public var threshold: Double?
    /// How the x values read (a step, or a time in seconds since 1970).
    public var xAxis: Axis = .number

    public enum Axis: Sendable {
        case number
        case time
    }

    public init(title: String, series: [Series], threshold: Double? = nil, xAxis: Axis = .number) {
        self.title = title
        self.series = series
        self.threshold = threshold
        self.xAxis = xAxis
    }

    static let width = 480.0, height = 200.0
    static let left = 52.0, right = 10.0, top = 12.0, bottom = 28.0

    public var html: HTML {
        let points = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        guard let first = points.first else {
            return "<figure class=\"chart\"><figcaption>\(title)</figcaption><p class=\"muted\">no points</p></figure>"
        }
        var xs = (min: first.x, max: first.x), ys = (min: first.y, max: first.y)
        for point in points {
            xs = (min(xs.min, point.x), max(xs.max, point.x))
            ys = (min(ys.min, point.y), max(ys.max, point.y))
        }
        if let threshold, threshold.isFinite { ys = (min(ys.min, threshold), max(ys.max, threshold)) }
        if xs.max == xs.min { xs = (xs.min - 1, xs.max + 1) }
        if ys.max == ys.min { ys = (ys.min - 1, ys.max + 1) }
        let plotWidth = Self.width - Self.left - Self.right, plotHeight = Self.height - Self.top - Self.bottom
        func x(_ value: Double) -> String { Self.format(Self.left + (value - xs.min) / (xs.max - xs.min) * plotWidth) }
        func y(_ value: Double) -> String {
            Self.format(Self.top + (1 - (value - ys.min) / (ys.max - ys.min)) * plotHeight)
        }
        var lines: [HTML] = []
        for (index, line) in series.enumerated() {
            let finite = line.points.filter { $0.x.isFinite && $0.y.isFinite }
            guard let only = finite.first else { continue }
            let style = "series-\(index % 6)"
            if finite.count == 1 {
                lines.append(
                    """
                    <circle class="\(style)" r="3" cx="\(x(only.x))" cy="\(y(only.y))"><title>\(line.name)</title>\
                    </circle>
                    """)
            } else {
                let coordinates = finite.map { "\(x($0.x)),\(y($0.y))" }.joined(separator: " ")
                lines.append(
                    "<polyline class=\"\(style)\" points=\"\(coordinates)\"><title>\(line.name)</title></polyline>")
            }
        }
        var thresholdLine = HTML.empty
        if let threshold, threshold.isFinite {
            thresholdLine = """
                <line class="threshold" x1="\(Self.format(Self.left))" x2="\(Self.format(Self.width - Self.right))" \
                y1="\(y(threshold))" y2="\(y(threshold))"><title>threshold \(Self.label(threshold))</title></line>
                """
        }
        let legend = HTML.joined(
            series.enumerated().map { index, line in
                "<li><span class=\"swatch series-\(index % 6)\"></span>\(line.name)</li>"
            })
        let (left, right, below) = (Self.left, Self.width - Self.right, Self.height - 8)
        return """
            <figure class="chart"><figcaption>\(title)</figcaption>
            <svg viewBox="0 0 \(Self.format(Self.width)) \(Self.format(Self.height))" role="img" aria-label="\(title)">
            <rect class="plot" x="\(Self.format(left))" y="\(Self.format(Self.top))" width="\(Self.format(plotWidth))" \
            height="\(Self.format(plotHeight))"></rect>
            <text class="axis" x="\(Self.format(left - 4))" y="\(Self.format(Self.top + 10))" text-anchor="end">\
            \(Self.label(ys.max))</text>
            <text class="axis" x="\(Self.format(left - 4))" y="\(Self.format(Self.top + plotHeight))" \
            text-anchor="end">\(Self.label(ys.min))</text>
            <text class="axis" x="\(Self.format(left))" y="\(Self.format(below))">\(axisLabel(xs.min))</text>
            <text class="axis" x="\(Self.format(right))" y="\(Self.format(below))" text-anchor="end">\
            \(axisLabel(xs.max))</text>
            \(thresholdLine)\(lines)
            </svg><ul class="legend">\(legend)</ul></figure>
            """
    }

    private func axisLabel(_ value: Double) -> String {
        switch xAxis {
        case .number: Self.label(value)
        case .time: Format.dateTime(Date(timeIntervalSince1970: value))
        }
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    static func label(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e9 { return String(Int64(value)) }
        return String(format: abs(value) >= 1000 || abs(value) < 0.01 ? "%.3g" : "%.3f", value)
    }
}
