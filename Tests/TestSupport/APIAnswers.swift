/// Shapes of stewardd's answers that several test suites decode.

/// `POST /api/v1/tokens`: the new token's secret.
public struct CreatedToken: Decodable {
    public let token: String
}

/// `GET /api/v1/audit`: a page of audit rows.
public struct AuditPage: Decodable {
    public struct Entry: Decodable {
        public let actor: String
        public let action: String
        public let target: String
    }
    public let items: [Entry]
}
