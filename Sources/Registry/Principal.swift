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
