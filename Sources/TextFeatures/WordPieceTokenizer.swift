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
    }

    public func id(of token: String) -> Int32? { vocabulary[token] }

    /// `[CLS] tokens [SEP]`, truncated to `maxLength` ids in all.
    public func encode(_ text: String, maxLength: Int) -> Encoding {
        var ids: [Int32] = [classifyID]
        var unknown = 0, total = 0
        let budget = max(0, maxLength - 2)
        for word in basicTokens(text) {
            let pieces = wordPieces(word)
            total += pieces.count
            for piece in pieces {
                if piece == unknownID { unknown += 1 }
                if ids.count - 1 < budget { ids.append(piece) }
            }
        }
        ids.append(separatorID)
        return Encoding(ids: ids, unknownCount: unknown, tokenCount: total)
    }

    /// Word-piece ids of the whole text, without special tokens or truncation.
    public func tokenIDs(_ text: String) -> [Int32] {
        basicTokens(text).flatMap(wordPieces)
    }

    // MARK: Basic tokenisation

    /// Cleaned, lower-cased, accent-stripped words split at punctuation and
    /// around CJK ideographs.
    func basicTokens(_ text: String) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        func flush() {
            if !current.isEmpty { words.append(contentsOf: Self.splitPunctuation(Self.normalize(current))); current.removeAll(keepingCapacity: true) }
        }
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value == 0 || value == 0xFFFD || Self.isControl(scalar) { continue }
            if Self.isWhitespace(scalar) { flush(); continue }
            if Self.isCJK(value) {
                flush()
                words.append([scalar])
                continue
            }
            current.append(scalar)
        }
        flush()
        return words
    }

    /// Lower-case, then NFD and drop combining marks (Mn), as `do_lower_case` implies.
    static func normalize(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if scalars.allSatisfy({ $0.isASCII }) {
            return scalars.map { (0x41...0x5A).contains($0.value) ? Unicode.Scalar($0.value + 32)! : $0 }
        }
        var word = String(String.UnicodeScalarView(scalars)).lowercased()
        word = word.decomposedStringWithCanonicalMapping
        return word.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }
    }

    static func splitPunctuation(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var result: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in scalars {
            if isPunctuation(scalar) {
                if !current.isEmpty { result.append(current); current = [] }
                result.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0x09, 0x0A, 0x0D: return true
        default: return scalar.properties.generalCategory == .spaceSeparator
        }
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return false
        default:
            switch scalar.properties.generalCategory {
            case .control, .format, .surrogate, .privateUse, .unassigned: return true
            default: return false
            }
        }
    }

    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    static func isCJK(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
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
