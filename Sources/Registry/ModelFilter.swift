import Postgres

/// The small filter language of MLflow's experiment, registered-model and
/// model-version searches: `name = 'm' AND tag.\`k\` != 'true' AND run_id = '...'`.
struct ModelFilter {
    struct Clause: Equatable {
        /// `name`, `run_id`, `source_path`, `version_number`, `stage`, or `tag.<key>`.
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
            guard case .word(var field) = first else {
                throw .invalid("Invalid filter '\(text)': expected a field name")
            }
            if field.hasPrefix("tags.") { field = "tag." + field.dropFirst(5) }
            if field.hasPrefix("attributes.") || field.hasPrefix("attribute.") {
                field = String(field.split(separator: ".", maxSplits: 1)[1])
            }
            if field == "current_stage" { field = "stage" }
            guard
                ["name", "run_id", "source_path", "version_number", "stage"].contains(field) || field.hasPrefix("tag.")
            else {
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
            case .number(let number)? where field == "version_number": value = number.description
            default: throw .invalid("Invalid filter '\(text)': the value for \(field) must be a quoted string")
            }
            if field == "version_number", Self.versionNumber(value) == nil {
                throw .invalid(
                    "Invalid filter '\(text)': version_number must be an integer in \(Int32.min)...\(Int32.max)")
            }
            if field != "version_number", !["=", "!=", "LIKE", "ILIKE"].contains(comparator) {
                throw .invalid("Invalid comparator '\(comparator)' for \(field)")
            }
            clauses.append(Clause(field: field, comparator: comparator, value: value))
        }
        return ModelFilter(clauses: clauses)
    }

    /// A version number as the filter may spell it ('3', 3, 3.0), within the column's range.
    static func versionNumber(_ text: String) -> Int? {
        guard let number = Double(text), let version = Int32(exactly: number) else { return nil }
        return Int(version)
    }

    /// What a search looks through: each allows its own fields.
    enum Subject {
        /// `e` (experiments): name and tags.
        case experiments
        /// `m` (registered_models): name and tags.
        case models
        /// `m` and `v` (model_versions): also run_id, source_path, version_number and stage.
        case versions
    }

    /// SQL for `subject` with every value bound; a field the subject has not is refused.
    func sql(for subject: Subject) throws(RegistryError) -> SQL {
        let alias =
            switch subject {
            case .experiments: "e"
            case .models: "m"
            case .versions: "v"
            }
        let table = SQL.raw(alias)
        var parts: [SQL] = ["TRUE"]
        for clause in clauses {
            let op = SQL.raw(clause.comparator)
            if clause.field.hasPrefix("tag.") {
                let key = String(clause.field.dropFirst(4))
                // A missing tag counts as "not equal".
                parts.append(
                    clause.comparator == "!="
                        ? "(\(table).tags->>\(key)) IS DISTINCT FROM \(clause.value)"
                        : "(\(table).tags->>\(key)) \(op) \(clause.value)")
                continue
            }
            switch (clause.field, subject) {
            case ("name", .experiments): parts.append("e.name \(op) \(clause.value)")
            case ("name", _): parts.append("m.name \(op) \(clause.value)")
            case ("run_id", .versions): parts.append("v.run_id \(op) \(clause.value)")
            case ("source_path", .versions): parts.append("v.source \(op) \(clause.value)")
            case ("version_number", .versions):
                parts.append("v.version \(op) \(Self.versionNumber(clause.value) ?? -1)")
            case ("stage", .versions):
                // Exact comparisons take MLflow's spellings of a stage; patterns match the stored one.
                let value =
                    clause.comparator == "=" || clause.comparator == "!="
                    ? try Stage(parsing: clause.value).rawValue : clause.value
                parts.append("v.stage \(op) \(value)")
            default:
                let allowed =
                    subject == .versions ? "name, run_id, source_path, version_number, stage and tags" : "name and tags"
                throw .invalid("Invalid attribute key '\(clause.field)': this search filters on \(allowed)")
            }
        }
        return SQL.joined(parts, separator: " AND ")
    }
}
