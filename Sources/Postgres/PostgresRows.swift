import CLibPQ

/// A query's result (`PGresult`), read as text and decoded on access.
public final class PostgresRows: Sequence {
    let result: OpaquePointer?
    public let count: Int
    public let columns: [String]
    /// Rows the statement touched (INSERT/UPDATE/DELETE), from the command tag.
    public let affectedRows: Int

    init(checking result: OpaquePointer?, connection: PostgresConnection) throws {
        guard let result else { throw connection.lastError(code: .queryFailed) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_COPY_IN, PGRES_EMPTY_QUERY:
            self.result = result
            self.count = Int(PQntuples(result))
            // COPY results report fields without names.
            self.columns = (0..<PQnfields(result)).map { PQfname(result, $0).map { String(cString: $0) } ?? "" }
            self.affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
        default:
            let error = Self.error(from: result, connection: connection)
            PQclear(result)
            throw error
        }
    }

    deinit { if let result { PQclear(result) } }

    static func error(from result: OpaquePointer, connection: PostgresConnection) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let raw = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: raw)
        }
        let sqlState = field("C")
        guard let message = field("M") else { return connection.lastError(code: .queryFailed) }
        let lost = PQstatus(connection.handle) != CONNECTION_OK
        return PostgresError(
            code: lost ? .connectionLost : .queryFailed, sqlState: sqlState,
            message: message, detail: field("D"), constraint: field("n"))
    }

    public subscript(index: Int) -> PostgresRow { PostgresRow(rows: self, index: Int32(index)) }

    public var first: PostgresRow? { count > 0 ? self[0] : nil }

    public func makeIterator() -> AnyIterator<PostgresRow> {
        var index = 0
        return AnyIterator {
            guard index < self.count else { return nil }
            defer { index += 1 }
            return self[index]
        }
    }

    func columnIndex(_ name: String) throws -> Int32 {
        guard let index = columns.firstIndex(of: name) else {
            throw PostgresError(code: .decodingFailed, message: "no column named \(name) in the result")
        }
        return Int32(index)
    }
}

/// One row of a result; decode columns by position or name:
/// `let name: String = try row.get("name")`.
public struct PostgresRow {
    let rows: PostgresRows
    let index: Int32

    public func isNull(_ column: Int) -> Bool { PQgetisnull(rows.result, index, Int32(column)) == 1 }

    public func get<T: PostgresDecodable>(_ column: Int, as type: T.Type = T.self) throws -> T {
        let name = rows.columns.indices.contains(column) ? rows.columns[column] : "#\(column)"
        guard column >= 0, column < rows.columns.count else {
            throw PostgresError(code: .decodingFailed, message: "no column \(column) in the result")
        }
        do {
            if isNull(column) { return try T.postgresNull() }
            let text = String(cString: PQgetvalue(rows.result, index, Int32(column)))
            return try T(postgresText: text)
        } catch let error as PostgresDecodingError {
            throw PostgresError(code: .decodingFailed, message: "column \(name): \(error.reason)")
        }
    }

    public func get<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try get(Int(rows.columnIndex(name)), as: type)
    }
}
