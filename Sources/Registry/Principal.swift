import Digest
import Foundation
import HTTPKit
import Postgres
import Synchronization

public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case viewer, `operator`, admin

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// Who is calling: a token's name and role.
public struct Principal: Sendable, Equatable {
    public let name: String
    public let role: Role
}

extension Principal {
    /// From a token's row (`name`, `role`); a role this build does not know reads as viewer.
    init(row: PostgresRow) throws {
        self.init(name: try row.get("name"), role: Role(rawValue: try row.get("role")) ?? .viewer)
    }
}
