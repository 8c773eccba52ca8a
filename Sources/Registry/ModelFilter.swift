import Postgres

/// The small filter language of MLflow's experiment, registered-model and
/// model-version searches: `name = 'm' AND tag.\`k\` != 'true' AND run_id = '...'`.
struct ModelFilter {
    struct Clause: Equatable {
        /// `name`, `run_id`, `source_path`, `version_number`, or `tag.<key>`.
        let field: String
        let comparator: String
        let value: String
    }

    let clauses: [Clause]

    static func parse(_ text: String) throws(RegistryError) -> ModelFilter {
        var lexer = Lexer(text)
        var clauses: [Clause] = []
        while let token = try lexer.next() {
            var first = token
            if !clauses.isEmpty {
                guard case .word(let word) = token, word.lowercased() == "and" else {
                    throw .invalid("Invalid filter '\(text)': conditions must be joined with AND")
                }
                guard let next = try lexer.next() else { throw .invalid("Invalid filter '\(text)': it ends after AND") }
                first = next
            }
            guard case .word(var field) = first else { throw .invalid("Invalid filter '\(text)': expected a field name") }
            if field.hasPrefix("tags.") { field = "tag." + field.dropFirst(5) }
            if field.hasPrefix("attributes.") || field.hasPrefix("attribute.") { field = String(field.split(separator: ".", maxSplits: 1)[1]) }
            guard ["name", "run_id", "source_path", "version_number"].contains(field) || field.hasPrefix("tag.") else {
                throw .invalid("Invalid attribute key '\(field)' in filter '\(text)'")
            }
            let comparator: String
            switch try lexer.next() {
            case .symbol(let symbol)?: comparator = symbol
            case .word(let word)?: comparator = word.uppercased()
            default: throw .invalid("Invalid filter '\(text)': expected a comparator after \(field)")
            }
            guard ["=", "!=", "LIKE", "ILIKE", ">", ">=", "<", "<="].contains(comparator) else {
                throw .invalid("Invalid comparator '\(comparator)' in filter '\(text)'")
            }
            let value: String
            switch try lexer.next() {
            case .string(let text)?: value = text
            case .number(let number)? where field == "version_number": value = String(Int(number))
            default: throw .invalid("Invalid filter '\(text)': the value for \(field) must be a quoted string")
            }
            if field != "version_number", ![ "=", "!=", "LIKE", "ILIKE"].contains(comparator) {
                throw .invalid("Invalid comparator '\(comparator)' for \(field)")
            }
            clauses.append(Clause(field: field, comparator: comparator, value: value))
        }
        return ModelFilter(clauses: clauses)
    }

    /// For experiments, which only filter on the name: an ILIKE pattern.
    func nameCondition() throws(RegistryError) -> String? {
        var pattern: String?
        for clause in clauses {
            guard clause.field == "name" else { continue }
            switch clause.comparator {
            case "=": pattern = String(ArtifactStore.likePrefix(clause.value).dropLast())
            case "LIKE", "ILIKE": pattern = clause.value
            default: throw .invalid("experiments can be filtered by name with =, LIKE or ILIKE")
            }
        }
        return pattern
    }

    /// SQL over `m` (registered_models) and, when given, `v` (model_versions).
    func sql(_ binds: inout [any PostgresEncodable], versions: Bool) -> String {
        func bind(_ value: any PostgresEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        var parts = ["TRUE"]
        for clause in clauses {
            let op = clause.comparator
            if clause.field.hasPrefix("tag.") {
                let key = String(clause.field.dropFirst(4))
                let tags = versions ? "v.tags" : "m.tags"
                // A missing tag counts as "not equal".
                parts.append(op == "!=" ? "(\(tags)->>\(bind(key))) IS DISTINCT FROM \(bind(clause.value))"
                                         : "(\(tags)->>\(bind(key))) \(op) \(bind(clause.value))")
                continue
            }
            switch clause.field {
            case "name": parts.append("m.name \(op) \(bind(clause.value))")
            case "run_id" where versions: parts.append("v.run_id \(op) \(bind(clause.value))")
            case "source_path" where versions: parts.append("v.source \(op) \(bind(clause.value))")
            case "version_number" where versions: parts.append("v.version \(op) \(bind(Int(clause.value) ?? -1))")
            case "stage" where versions: parts.append("v.stage \(op) \(bind(clause.value))")
            default: parts.append("FALSE")
            }
        }
        return parts.joined(separator: " AND ")
    }
}
