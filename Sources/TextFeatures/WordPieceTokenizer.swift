import Foundation

/// BERT's uncased tokenizer: basic tokenisation (clean-up, CJK splitting,
/// lower-casing, accent stripping, punctuation splitting) then greedy
/// longest-match WordPiece over a fixed vocabulary. Immutable and thread-safe.
public final class WordPieceTokenizer: Sendable {
    public struct Encoding: Sendable, Equatable {
        public var ids: [Int32]
        /// Tokens that were `[UNK]` (before truncation), and all tokens.
        public var unknownCount: Int
        public var tokenCount: Int
    }

    private let vocabulary: [String: Int32]
    public let unknownID: Int32
    public let classifyID: Int32
    public let separatorID: Int32
    public let padID: Int32
    private let specialTokens: [(String, Int32)]
    public let maxCharactersPerWord = 100
    public var vocabularySize: Int { vocabulary.count }

    public enum LoadError: Error, CustomStringConvertible {
        case unreadable(String)
        case missingToken(String)
        public var description: String {
            switch self {
            case .unreadable(let path): "cannot read the vocabulary at \(path)"
            case .missingToken(let token): "the vocabulary has no \(token) token"
            }
        }
    }

    public convenience init(vocabularyFile path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw LoadError.unreadable(path) }
        try self.init(vocabularyText: text)
    }

    /// One token per line; the line number is the id.
    public init(vocabularyText: String) throws {
        var lines = vocabularyText.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() {
            let token = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            if vocabulary[token] == nil { vocabulary[token] = Int32(index) }
        }
        func id(_ token: String) throws -> Int32 {
            guard let id = vocabulary[token] else { throw LoadError.missingToken(token) }
            return id
        }
        self.vocabulary = vocabulary
        unknownID = try id("[UNK]")
        classifyID = try id("[CLS]")
        separatorID = try id("[SEP]")
        padID = try id("[PAD]")
        specialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].compactMap { token in
            vocabulary[token].map { (token, $0) }
        }
    }

    public func id(of token: String) -> Int32? { vocabulary[token] }

    /// `[CLS] tokens [SEP]`, truncated to `maxLength` ids in all.
    public func encode(_ text: String, maxLength: Int) -> Encoding {
        let pieces = tokenIDs(text)
        let budget = max(0, maxLength - 2)
        var ids: [Int32] = [classifyID]
        ids.append(contentsOf: pieces.prefix(budget))
        ids.append(separatorID)
        return Encoding(ids: ids, unknownCount: pieces.count { $0 == unknownID }, tokenCount: pieces.count)
    }

    /// Word-piece ids of the whole text, without added `[CLS]`/`[SEP]` or truncation.
    /// Special tokens written literally in the text (`[SEP]`, exact case) are
    /// their own ids, as in Hugging Face's tokenizers.
    public func tokenIDs(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        for segment in splitSpecialTokens(text) {
            switch segment {
            case .special(let id): ids.append(id)
            case .text(let part): for word in basicTokens(part) { ids.append(contentsOf: wordPieces(word)) }
            }
        }
        return ids
    }

    enum Segment: Equatable { case text(Substring), special(Int32) }

    func splitSpecialTokens(_ text: String) -> [Segment] {
        guard text.contains("[") else { return [.text(text[...])] }
        var segments: [Segment] = []
        var rest = text[...]
        while let open = rest.firstIndex(of: "[") {
            let candidate = rest[open...]
            if let (token, id) = specialTokens.first(where: { candidate.hasPrefix($0.0) }) {
                if open > rest.startIndex { segments.append(.text(rest[..<open])) }
                segments.append(.special(id))
                rest = rest[rest.index(open, offsetBy: token.count)...]
            } else {
                let after = rest.index(after: open)
                if let next = rest[after...].firstIndex(of: "[") {
                    segments.append(.text(rest[..<next]))
                    rest = rest[next...]
                } else {
                    break
                }
            }
        }
        if !rest.isEmpty { segments.append(.text(rest)) }
        return segments
    }

    // MARK: Basic tokenisation

    /// Hugging Face's BERT normalizer and pre-tokenizer, scalar by scalar, with
    /// its Unicode tables (BertUnicodeTables): removed scalars vanish,
    /// whitespace splits, CJK ideographs stand alone, everything else is
    /// lower-cased and decomposed with its accents dropped; then words split
    /// around punctuation.
    func basicTokens(_ text: Substring) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        func flush() {
            if !current.isEmpty {
                words.append(current)
                current.removeAll(keepingCapacity: true)
            }
        }
        func add(_ scalar: Unicode.Scalar) {
            if Self.isPunctuation(scalar) {
                flush()
                words.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value < 0x80 {
                switch value {
                case 0x41...0x5A: add(Unicode.Scalar(value + 32)!)
                case 0x09, 0x0A, 0x0D, 0x20: flush()
                case 0x00...0x1F, 0x7F: continue
                default: add(scalar)
                }
                continue
            }
            if Self.contains(BertUnicodeTables.removed, value) { continue }
            if Self.contains(BertUnicodeTables.whitespace, value) {
                flush()
                continue
            }
            let isCJK = Self.contains(BertUnicodeTables.cjk, value)
            if isCJK { flush() }
            for mapped in Self.normalize(scalar) { add(mapped) }
            if isCJK { flush() }
        }
        flush()
        return words
    }

    /// Lower-cased, canonically decomposed, without the scalars the normalizer removes (accents).
    static func normalize(_ scalar: Unicode.Scalar) -> [Unicode.Scalar] {
        let lowered = scalar.properties.lowercaseMapping
        let decomposed = lowered.decomposedStringWithCanonicalMapping
        return decomposed.unicodeScalars.filter { !contains(BertUnicodeTables.removed, $0.value) }
    }

    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        contains(BertUnicodeTables.punctuation, scalar.value)
    }

    /// Binary search over sorted, disjoint ranges.
    static func contains(_ ranges: [ClosedRange<UInt32>], _ value: UInt32) -> Bool {
        var low = 0, high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].upperBound < value { low = mid + 1 } else { high = mid }
        }
        return low < ranges.count && ranges[low].contains(value)
    }

    // MARK: WordPiece

    func wordPieces(_ word: [Unicode.Scalar]) -> [Int32] {
        if word.count > maxCharactersPerWord { return [unknownID] }
        var pieces: [Int32] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int32?
            while start < end {
                var candidate = start > 0 ? "##" : ""
                candidate.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else { return [unknownID] }
            pieces.append(found)
            start = end
        }
        return pieces
    }
}
