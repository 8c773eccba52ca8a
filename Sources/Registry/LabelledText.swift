import Foundation

/// Reads `text,label` rows from CSV (RFC 4180 quoting) or JSON Lines.
enum LabelledText {
    struct Rows {
        var texts: [String] = []
        var labels: [String] = []
        var columns: [String] = []
    }

    static func read(file: URL) throws -> Rows {
        guard let data = try? Data(contentsOf: file) else { throw RegistryError.invalid("cannot read \(file.path)") }
        guard let text = String(data: data, encoding: .utf8) else { throw RegistryError.invalid("\(file.lastPathComponent) is not UTF-8 text") }
        let name = file.lastPathComponent.lowercased()
        if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") { return try jsonLines(text, file: file.lastPathComponent) }
        return try csv(text, file: file.lastPathComponent)
    }

    static func jsonLines(_ text: String, file: String) throws -> Rows {
        var rows = Rows(columns: ["text", "label"])
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw RegistryError.invalid("\(file) line \(index + 1): not a JSON object")
            }
            guard let text = object["text"] as? String else { throw RegistryError.invalid("\(file) line \(index + 1): missing string field 'text'") }
            guard let label = object["label"] else { throw RegistryError.invalid("\(file) line \(index + 1): missing field 'label'") }
            rows.texts.append(text)
            rows.labels.append(label as? String ?? "\(label)")
        }
        return rows
    }

    static func csv(_ text: String, file: String) throws -> Rows {
        let records = try parseCSV(text, file: file)
        guard let header = records.first else { throw RegistryError.invalid("\(file) is empty") }
        let columns = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let textColumn = columns.firstIndex(of: "text"), let labelColumn = columns.firstIndex(of: "label") else {
            throw RegistryError.invalid("\(file) must have the columns 'text' and 'label' (found: \(columns.joined(separator: ", ")))")
        }
        var rows = Rows(columns: columns)
        for (index, record) in records.dropFirst().enumerated() {
            if record.count == 1, record[0].isEmpty { continue }
            guard record.count == columns.count else {
                throw RegistryError.invalid("\(file) row \(index + 2): \(record.count) fields, the header has \(columns.count)")
            }
            rows.texts.append(record[textColumn])
            rows.labels.append(record[labelColumn])
        }
        return rows
    }

    /// Fields with quotes, doubled quotes and newlines inside quotes.
    static func parseCSV(_ text: String, file: String) throws -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    if let after = next() {
                        if after == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = after }
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty: quoted = true
            case ",": record.append(field); field = ""
            case "\r": continue
            case "\n": record.append(field); records.append(record); record = []; field = ""
            default: field.unicodeScalars.append(c)
            }
        }
        if quoted { throw RegistryError.invalid("\(file): a quoted field is not closed") }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }
}
