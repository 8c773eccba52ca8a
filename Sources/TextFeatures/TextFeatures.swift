/// The per-text features serving logs and drift is measured on. Definitions
/// shared with `training/steward_training/features.py`.
public struct TextFeatures: Sendable, Equatable, Codable {
    /// Unicode scalars (code points), not grapheme clusters.
    public var charLength: Int
    /// Maximal runs of non-White_Space scalars.
    public var wordCount: Int
    /// Share of word pieces (whole text, no special tokens) that are `[UNK]`.
    public var oovShare: Double
    /// Share of scalars that are not letters (L*), whitespace included.
    public var nonLetterShare: Double

    public static let names = ["char_length", "word_count", "oov_share", "non_letter_share"]

    public init(charLength: Int, wordCount: Int, oovShare: Double, nonLetterShare: Double) {
        self.charLength = charLength
        self.wordCount = wordCount
        self.oovShare = oovShare
        self.nonLetterShare = nonLetterShare
    }

    /// Features of `text`; `encoding` supplies the token counts when the text was tokenised anyway.
    public init(text: String, unknownTokens: Int, totalTokens: Int) {
        var scalars = 0, letters = 0, words = 0
        var inWord = false
        for scalar in text.unicodeScalars {
            scalars += 1
            if Self.isWhiteSpace(scalar.value) {
                inWord = false
            } else if !inWord {
                inWord = true
                words += 1
            }
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: letters += 1
            default: break
            }
        }
        charLength = scalars
        wordCount = words
        oovShare = totalTokens == 0 ? 0 : Double(unknownTokens) / Double(totalTokens)
        nonLetterShare = scalars == 0 ? 0 : Double(scalars - letters) / Double(scalars)
    }

    public init(text: String, tokenizer: WordPieceTokenizer) {
        let ids = tokenizer.tokenIDs(text)
        self.init(text: text, unknownTokens: ids.count { $0 == tokenizer.unknownID }, totalTokens: ids.count)
    }

    public func value(_ name: String) -> Double? {
        switch name {
        case "char_length": Double(charLength)
        case "word_count": Double(wordCount)
        case "oov_share": oovShare
        case "non_letter_share": nonLetterShare
        default: nil
        }
    }

    /// Unicode's White_Space property.
    static func isWhiteSpace(_ v: UInt32) -> Bool {
        switch v {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }
}
