import Foundation

/// How the console writes times and numbers: UTC to the second, numbers to four significant digits.
public enum Format {
    public static func time(_ date: Date) -> String { dateTime(date) + " UTC" }

    /// "2026-12-06 02:03:09", for where the zone is said once (a chart's axis).
    public static func dateTime(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).dateTimeSeparator(.space))
    }

    /// A time in milliseconds since 1970 (MLflow's).
    public static func time(millis: Int64) -> String { time(Date(timeIntervalSince1970: Double(millis) / 1000)) }

    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "-∞") }
        if value == value.rounded(), abs(value) < 1e12 { return String(Int64(value)) }
        return String(format: "%.4g", value)
    }

    public static func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }

    /// "3 min 20 s".
    public static func duration(seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total) s" }
        if total < 3600 { return "\(total / 60) min \(total % 60) s" }
        return "\(total / 3600) h \(total % 3600 / 60) min"
    }
}
