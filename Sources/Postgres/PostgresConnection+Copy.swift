import CLibPQ

extension PostgresConnection {
    /// Bulk insert with `COPY ... FROM STDIN` (text format). Values are escaped for
    /// the COPY data stream, never spliced into SQL; table and column names are
    /// quoted identifiers. Returns the number of rows copied.
    @discardableResult
    public func copyIn<Rows: Sequence>(table: String, columns: [String], rows: Rows) throws -> Int
    where Rows.Element == [any PostgresEncodable] {
        let target = try table.split(separator: ".").map { try escapeIdentifier(String($0)) }.joined(separator: ".")
        let columnList = try columns.map { try escapeIdentifier($0) }.joined(separator: ", ")
        _ = try PostgresRows(checking: PQexec(handle, "COPY \(target) (\(columnList)) FROM STDIN"), connection: self)

        var buffer = [UInt8]()
        buffer.reserveCapacity(min(rows.underestimatedCount * 64, 1 << 20))
        var failure: PostgresError?
        for row in rows {
            guard row.count == columns.count else {
                failure = PostgresError(
                    code: .copyFailed, message: "a row has \(row.count) values for \(columns.count) columns")
                break
            }
            for (index, value) in row.enumerated() {
                if index > 0 { buffer.append(0x09) }
                guard let text = value.postgresText else {
                    buffer.append(contentsOf: [0x5C, 0x4E])
                    continue
                }
                for byte in text.utf8 {
                    switch byte {
                    case 0x00:
                        failure = PostgresError(code: .invalidParameter, message: "a value contains a NUL character")
                    case 0x5C: buffer.append(contentsOf: [0x5C, 0x5C])
                    case 0x0A: buffer.append(contentsOf: [0x5C, 0x6E])
                    case 0x0D: buffer.append(contentsOf: [0x5C, 0x72])
                    case 0x09: buffer.append(contentsOf: [0x5C, 0x74])
                    default: buffer.append(byte)
                    }
                }
            }
            buffer.append(0x0A)
            if failure != nil { break }
            if buffer.count >= 1 << 20 { try send(&buffer) }
        }
        if failure == nil { try send(&buffer) }
        // Ending with an error message makes the server abort the COPY: nothing is written.
        let ended = failure == nil ? PQputCopyEnd(handle, nil) : PQputCopyEnd(handle, "steward: copy aborted")
        guard ended == 1 else { throw lastError(code: .copyFailed) }
        var copied = 0
        var serverError: Error?
        while let result = PQgetResult(handle) {
            do { copied = try PostgresRows(checking: result, connection: self).affectedRows } catch {
                serverError = error
            }
        }
        if let failure { throw failure }
        if let serverError { throw serverError }
        return copied
    }

    private func send(_ buffer: inout [UInt8]) throws {
        guard !buffer.isEmpty else { return }
        let status = buffer.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
        }
        guard status == 1 else { throw lastError(code: .copyFailed) }
        buffer.removeAll(keepingCapacity: true)
    }
}
