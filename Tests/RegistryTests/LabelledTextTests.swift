import Foundation
import Testing
@testable import Registry

@Suite struct LabelledTextTests {
    private func rows(_ content: String, name: String = "data.csv", chunk: Int) throws -> [[String]] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "labelled-\(UUID().uuidString)-\(name)")
        try Data(content.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        var rows: [[String]] = []
        try LabelledText.read(file: file, chunkBytes: chunk) { rows.append([$0, $1]) }
        return rows
    }

    /// Quotes, doubled quotes, commas and newlines inside quotes, CRLF, a blank line,
    /// extra columns, non-ASCII: the same rows whatever the read size.
    @Test func csvRowsDoNotDependOnChunkBoundaries() throws {
        let csv =
            "id,Text,label\r\n1,\"a, \"\"quoted\"\" line\nbreak\",positive\r\n\n2,plain é "
            + "😀,negative\n3,\"\",positive\n4,last,negative"
        let expected = [
            ["a, \"quoted\" line\nbreak", "positive"], ["plain é 😀", "negative"], ["", "positive"],
            ["last", "negative"]
        ]
        for chunk in [1, 2, 3, 5, 7, 64, 1 << 20] {
            #expect(try rows(csv, chunk: chunk) == expected, "chunk \(chunk)")
        }
        #expect(
            try rows(
                "{\"text\": \"x\", \"label\": 1}\n\n{\"text\": \"y\\nz\", \"label\": \"negative\"}", name: "d.jsonl",
                chunk: 3)
                == [["x", "1"], ["y\nz", "negative"]])
    }

    @Test func refusesWhatItCannotReadWithoutEchoingIt() throws {
        let header = String(repeating: "h", count: LabelledText.maxFieldBytes + 10)
        for (content, fragment) in [
            (header + ",label\n", "longer than"), ("text,label\n\"open,positive\n", "not closed"),
            ("text,label\nx,positive,extra\n", "3 fields"), ("", "is empty"),
            ("text,lbl\nx,y\n", "'text' and 'label'")
        ] {
            do {
                _ = try rows(content, chunk: 1 << 20)
                Issue.record("accepted \(content.prefix(40))")
            } catch let error as RegistryError {
                #expect(error.description.contains(fragment), "\(error)")
                #expect(error.description.utf8.count < 500)
            }
        }
        let invalid = FileManager.default.temporaryDirectory.appendingPathComponent("invalid-\(UUID().uuidString).csv")
        try Data([0x74, 0x65, 0x78, 0x74, 0x2C, 0x6C, 0x61, 0x62, 0x65, 0x6C, 0x0A, 0xFF, 0xFE, 0x2C, 0x61, 0x0A])
            .write(to: invalid)
        defer { try? FileManager.default.removeItem(at: invalid) }
        #expect(throws: RegistryError.self) { try LabelledText.read(file: invalid) { _, _ in } }
    }
}
