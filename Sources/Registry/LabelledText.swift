import Foundation

/// Streams `text,label` rows from CSV (RFC 4180 quoting) or JSON Lines with
/// bounded memory: the file is read in 1 MiB chunks, each also handed to
/// `onChunk` (a digest), and one row at a time reaches `onRow`. A field, a
/// JSON line or a header past the limits below is refused, so one enormous
/// line can neither swell the process nor come back in an error message.
enum LabelledText {
    static let maxFieldBytes = 1 << 20
    static let maxColumns = 256
    static let chunkBytes = 1 << 20

    static func read(
        file: URL, chunkBytes: Int = chunkBytes, onChunk: (UnsafeRawBufferPointer) -> Void = { _ in },
        onRow: (_ text: String, _ label: String) throws -> Void
    ) throws {
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw RegistryError.invalid("cannot read \(file.path)")
        }
        defer { try? handle.close() }
        let name = file.lastPathComponent
        let lowered = name.lowercased()
        var parser: any RecordParser =
            lowered.hasSuffix(".jsonl") || lowered.hasSuffix(".ndjson")
            ? JSONLinesParser(file: name) : CSVParser(file: name)
        while let chunk = try handle.read(upToCount: chunkBytes), !chunk.isEmpty {
            try chunk.withUnsafeBytes { bytes in
                onChunk(bytes)
                try parser.consume(bytes.bindMemory(to: UInt8.self), onRow)
            }
        }
        try parser.finish(onRow)
    }
}

private protocol RecordParser {
    typealias RowHandler = (_ text: String, _ label: String) throws -> Void
    mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>, _ onRow: RowHandler) throws
    mutating func finish(_ onRow: RowHandler) throws
}

private func decode(_ bytes: [UInt8], _ file: String, _ line: Int) throws -> String {
    guard let text = String(validating: bytes, as: UTF8.self) else {
        throw RegistryError.invalid("\(file) row \(line): not UTF-8 text")
    }
    return text
}

/// RFC 4180: fields with quotes, doubled quotes and newlines inside quotes; a
/// carriage return outside quotes is dropped. The header names the columns;
/// `text` and `label` are kept.
private struct CSVParser: RecordParser {
    let file: String
    private var field: [UInt8] = []
    private var record: [[UInt8]] = []
    private var quoted = false
    /// Just read a quote inside a quoted field: a second one is a literal quote.
    private var quoteSeen = false
    private var header: (count: Int, text: Int, label: Int)?
    /// The record number (1 is the header), for messages.
    private var recordNumber = 1

    init(file: String) { self.file = file }

    mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>, _ onRow: RowHandler) throws {
        for byte in bytes {
            if quoted {
                if quoteSeen {
                    quoteSeen = false
                    if byte == 0x22 {
                        try append(byte)
                        continue
                    }
                    quoted = false
                } else if byte == 0x22 {
                    quoteSeen = true
                    continue
                } else {
                    try append(byte)
                    continue
                }
            }
            switch byte {
            case 0x22 where field.isEmpty: quoted = true
            case 0x2C: try endField()
            case 0x0D: continue
            case 0x0A:
                try endField()
                try endRecord(onRow)
            default: try append(byte)
            }
        }
    }

    mutating func finish(_ onRow: RowHandler) throws {
        if quoted, !quoteSeen { throw RegistryError.invalid("\(file): a quoted field is not closed") }
        if !field.isEmpty || !record.isEmpty || quoteSeen {
            try endField()
            try endRecord(onRow)
        }
        if header == nil { throw RegistryError.invalid("\(file) is empty") }
    }

    private mutating func append(_ byte: UInt8) throws {
        guard field.count < LabelledText.maxFieldBytes else {
            throw RegistryError.invalid(
                "\(file) row \(recordNumber): a field is longer than \(LabelledText.maxFieldBytes) bytes")
        }
        field.append(byte)
    }

    private mutating func endField() throws {
        guard record.count < LabelledText.maxColumns else {
            throw RegistryError.invalid("\(file) row \(recordNumber): more than \(LabelledText.maxColumns) fields")
        }
        record.append(field)
        field.removeAll(keepingCapacity: true)
        quoted = false
        quoteSeen = false
    }

    private mutating func endRecord(_ onRow: RowHandler) throws {
        defer {
            record.removeAll(keepingCapacity: true)
            recordNumber += 1
        }
        guard let header else {
            let columns = try record.map {
                try decode($0, file, recordNumber).trimmingCharacters(in: .whitespaces).lowercased()
            }
            guard let text = columns.firstIndex(of: "text"), let label = columns.firstIndex(of: "label") else {
                throw RegistryError.invalid(
                    "\(file) must have the columns 'text' and 'label' (found: \(columns.joined(separator: ", ")))")
            }
            self.header = (columns.count, text, label)
            return
        }
        if record.count == 1, record[0].isEmpty { return }
        guard record.count == header.count else {
            throw RegistryError.invalid(
                "\(file) row \(recordNumber): \(record.count) fields, the header has \(header.count)")
        }
        try onRow(
            try decode(record[header.text], file, recordNumber), try decode(record[header.label], file, recordNumber))
    }
}

/// One JSON object a line with a string `text` and a `label` (a number becomes its text).
private struct JSONLinesParser: RecordParser {
    let file: String
    private var line: [UInt8] = []
    private var lineNumber = 1

    init(file: String) { self.file = file }

    mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>, _ onRow: RowHandler) throws {
        for byte in bytes {
            if byte == 0x0A {
                try endLine(onRow)
                continue
            }
            guard line.count < LabelledText.maxFieldBytes else {
                throw RegistryError.invalid(
                    "\(file) line \(lineNumber): longer than \(LabelledText.maxFieldBytes) bytes")
            }
            line.append(byte)
        }
    }

    mutating func finish(_ onRow: RowHandler) throws { try endLine(onRow) }

    private mutating func endLine(_ onRow: RowHandler) throws {
        defer {
            line.removeAll(keepingCapacity: true)
            lineNumber += 1
        }
        guard !line.isEmpty else { return }
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            throw RegistryError.invalid("\(file) line \(lineNumber): not a JSON object")
        }
        guard let text = object["text"] as? String else {
            throw RegistryError.invalid("\(file) line \(lineNumber): missing string field 'text'")
        }
        guard let label = object["label"] else {
            throw RegistryError.invalid("\(file) line \(lineNumber): missing field 'label'")
        }
        try onRow(text, label as? String ?? "\(label)")
    }
}
