import Foundation
import Testing
import TestSupport
@testable import TextFeatures

/// Parity with Hugging Face's BERT uncased tokenizer, on cases that
/// tests/fixtures/make_tokenizer_cases.py computes with `transformers`
/// (scripts/test.sh writes them to .steward/fixtures before the Swift tests).
@Suite struct TokenizerParityTests {
    struct Case: Decodable {
        let id: Int
        let name: String?
        let text: String
        let inputIDs: [Int32]
        enum CodingKeys: String, CodingKey { case id, name, text, inputIDs = "input_ids" }
    }
    struct Cases: Decodable {
        let maxLength: Int
        let cases: [Case]
        enum CodingKeys: String, CodingKey { case cases, maxLength = "max_length" }
    }

    static func load() throws -> (WordPieceTokenizer, Cases) {
        let root = TestEnvironment.repositoryRoot
        let vocab = root.appendingPathComponent(".steward/assets/minilm/vocab.txt").path
        let fixture = root.appendingPathComponent(".steward/fixtures/tokenizer_cases.json")
        guard FileManager.default.fileExists(atPath: fixture.path) else {
            throw TestSupportError("missing \(fixture.path): run scripts/test.sh (it generates the fixtures)")
        }
        return (
            try WordPieceTokenizer(vocabularyFile: vocab),
            try JSONDecoder().decode(Cases.self, from: Data(contentsOf: fixture))
        )
    }

    @Test func idsEqualHuggingFacesOnEveryCase() throws {
        let (tokenizer, fixture) = try Self.load()
        #expect(fixture.cases.count >= 2000)
        var mismatches: [String] = []
        for item in fixture.cases {
            let ids = tokenizer.encode(item.text, maxLength: fixture.maxLength).ids
            if ids != item.inputIDs {
                mismatches.append(
                    "#\(item.id) \(item.name ?? "") \(item.text.prefix(60).debugDescription): got \(ids.prefix(20)) "
                        + "want \(item.inputIDs.prefix(20))"
                )
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.prefix(15).joined(separator: "\n"))")
    }

    @Test func featuresFollowTheirDefinitions() throws {
        let (tokenizer, _) = try Self.load()
        let features = TextFeatures(text: "Héllo  wörld, 42!", tokenizer: tokenizer)
        #expect(features.charLength == 17)
        #expect(features.wordCount == 3)
        #expect(abs(features.nonLetterShare - 7.0 / 17.0) < 1e-12)
        #expect(features.oovShare == 0)
        let empty = TextFeatures(text: "", tokenizer: tokenizer)
        #expect(empty == TextFeatures(charLength: 0, wordCount: 0, oovShare: 0, nonLetterShare: 0))
    }

    @Test func profilesUseReferenceQuantilesAndRightClosedBins() throws {
        let profile = try #require(FeatureProfile(values: (1...100).map(Double.init)))
        #expect(profile.edges.count == 9)
        #expect(abs(profile.edges[0] - 10.9) < 1e-9)  // numpy: quantile(1..100, 0.1) = 10.9
        #expect(profile.counts == [10, 10, 10, 10, 10, 10, 10, 10, 10, 10])
        #expect(FeatureProfile.bin(10.9, profile.edges) == 0)
        #expect(FeatureProfile.bin(11, profile.edges) == 1)
        let discrete = try #require(FeatureProfile(values: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]))
        #expect(discrete.edges.count == 2 && discrete.edges[0] == 0 && abs(discrete.edges[1] - 0.1) < 1e-12)
        #expect(discrete.counts == [9, 0, 1])
    }
}

/// Every scalar's normalization equals the table read off `tokenizers`
/// (tests/fixtures/make_unicode_table.py writes it to .steward/fixtures).
@Suite struct NormalizationTableTests {
    struct Table: Decodable { let map: [[MapEntry]] }
    enum MapEntry: Decodable {
        case scalar(UInt32), scalars([UInt32])
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(UInt32.self) {
                self = .scalar(value)
            } else {
                self = .scalars(try container.decode([UInt32].self))
            }
        }
    }

    @Test func lowerCasingAndAccentStrippingMatchTokenizers() throws {
        let file = TestEnvironment.repositoryRoot.appendingPathComponent(".steward/fixtures/bert_unicode_table.json")
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw TestSupportError("missing \(file.path): run scripts/test.sh (it generates the fixtures)")
        }
        let table = try JSONDecoder().decode(Table.self, from: Data(contentsOf: file))
        let tokenizer = try WordPieceTokenizer(vocabularyText: "[PAD]\n[UNK]\n[CLS]\n[SEP]\n")
        var differences: [String] = []
        for entry in table.map {
            guard entry.count == 2, case .scalar(let source) = entry[0], case .scalars(let expected) = entry[1],
                let scalar = Unicode.Scalar(source)
            else { continue }
            let words = tokenizer.basicTokens(String(Character(scalar))[...])
            let got = words.flatMap { $0 }.map(\.value)
            let want = expected.filter { !WordPieceTokenizer.contains(BertUnicodeTables.whitespace, $0) }
            if got != want { differences.append(String(format: "U+%04X: got %@ want %@", source, "\(got)", "\(want)")) }
        }
        #expect(
            differences.isEmpty, "\(differences.count) differences:\n\(differences.prefix(20).joined(separator: "\n"))")
    }
}
