/// Horizontal bars as inline SVG, one per labelled value (label counts, a profile's bin shares).
public struct Bars: Sendable {
    public var title: String
    public var items: [(label: String, value: Double)]

    public init(title: String, items: [(label: String, value: Double)]) {
        self.title = title
        self.items = items
    }

    public var html: HTML {
        let largest = items.map(\.value).filter(\.isFinite).max() ?? 0
        let rowHeight = 16.0, labelWidth = 150.0, barWidth = 220.0
        var rows: [HTML] = []
        for (index, item) in items.enumerated() {
            let y = Double(index) * rowHeight
            let width = largest > 0 && item.value.isFinite ? max(0, item.value / largest * barWidth) : 0
            rows.append(
                """
                <text class="axis" x="\(LineChart.format(labelWidth - 6))" y="\(LineChart.format(y + 11))" \
                text-anchor="end">\(item.label)</text>
                <rect class="bar-track" x="\(LineChart.format(labelWidth))" y="\(LineChart.format(y + 2))" \
                width="\(LineChart.format(barWidth))" height="12"></rect>
                <rect class="bar" x="\(LineChart.format(labelWidth))" y="\(LineChart.format(y + 2))" \
                width="\(LineChart.format(width))" height="12"><title>\(item.label): \(Format.number(item.value))\
                </title></rect>
                <text class="axis" x="\(LineChart.format(labelWidth + barWidth + 6))" \
                y="\(LineChart.format(y + 11))">\(Format.number(item.value))</text>
                """)
        }
        let height = LineChart.format(max(rowHeight, Double(items.count) * rowHeight + 4))
        return """
            <figure class="chart"><figcaption>\(title)</figcaption>
            <svg viewBox="0 0 440 \(height)" role="img" aria-label="\(title)">\(rows)</svg></figure>
            """
    }
}
