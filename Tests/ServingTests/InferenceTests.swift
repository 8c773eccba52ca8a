import Foundation
import Serving
import Testing
import TestSupport

@Suite struct InferenceTests {
    struct AddFixture: Decodable {
        let X: [[Float]]
        let Y: [[Float]]
    }

    @Test func aSmallGraphRunsThroughTheCAPI() throws {
        let fixture = try JSONDecoder().decode(AddFixture.self, from: Data(contentsOf: try Fixtures.url("add.json")))
        let session = try InferenceSession(modelPath: try Fixtures.url("add.onnx").path)
        #expect(session.inputNames == ["X"])
        let output = try session.run([("X", .float(fixture.X.flatMap { $0 }, shape: [Int64(fixture.X.count), 3]))])
        #expect(output.shape == [2, 2])
        for (got, want) in zip(output.values, fixture.Y.flatMap { $0 }) { #expect(abs(got - want) < 1e-5) }
    }

    struct Expected: Decodable {
        struct Text: Decodable {
            let text: String
            let inputIDs: [Int32]
            let logits: [Float]
            let logitsInt8: [Float]
            enum CodingKeys: String, CodingKey { case text, logits, inputIDs = "input_ids", logitsInt8 = "logits_int8" }
        }
        struct Batch: Decodable { let indices: [Int] }
        let texts: [Text]
        let batches: [Batch]
    }

    @Test func logitsEqualPythonOnnxRuntimeOnTheSameBatches() throws {
        let directory = try Fixtures.url("tiny-model")
        let expected = try JSONDecoder().decode(
            Expected.self, from: Data(contentsOf: directory.appendingPathComponent("expected.json")))
        let model = try LoadedModel(directory: directory, name: "tiny", version: "1", options: .init(intraOpThreads: 1))
        var worst: Float = 0
        for batch in expected.batches {
            let encodings = batch.indices.map {
                model.tokenizer.encode(expected.texts[$0].text, maxLength: model.manifest.maxLength).ids
            }
            for (index, ids) in zip(batch.indices, encodings) { #expect(ids == expected.texts[index].inputIDs) }
            let logits = try model.logits(encodings)
            for (index, row) in zip(batch.indices, logits) {
                for (got, want) in zip(row, expected.texts[index].logits) { worst = max(worst, abs(got - want)) }
            }
        }
        #expect(worst < 1e-4, "largest logit difference \(worst)")
        // Batching pads to the batch's longest text; alone, a text gives the same logits.
        let alone = try model.logits([model.tokenizer.encode(expected.texts[3].text, maxLength: 128).ids])[0]
        for (got, want) in zip(alone, expected.texts[3].logits) { #expect(abs(got - want) < 1e-4) }
    }

    @Test func theInt8ExportEqualsPythonOnnxRuntimeOnItAndIsRefusedWhenAbsent() throws {
        let directory = try Fixtures.url("tiny-model")
        let expected = try JSONDecoder().decode(
            Expected.self, from: Data(contentsOf: directory.appendingPathComponent("expected.json")))
        let model = try LoadedModel(
            directory: directory, name: "tiny", version: "1", options: .init(intraOpThreads: 1), precision: .int8)
        #expect(model.precision == .int8)
        var worst: Float = 0, apart: Float = 0
        for batch in expected.batches {
            let logits = try model.logits(batch.indices.map { expected.texts[$0].inputIDs })
            for (index, row) in zip(batch.indices, logits) {
                for (column, got) in row.enumerated() {
                    worst = max(worst, abs(got - expected.texts[index].logitsInt8[column]))
                    apart = max(apart, abs(got - expected.texts[index].logits[column]))
                }
            }
        }
        #expect(worst < 1e-4, "largest int8 logit difference \(worst)")
        #expect(apart > 0, "the int8 export ran, not the float one")

        let copy = try Fixtures.tinyModelCopy()
        let manifestURL = copy.appendingPathComponent("steward.json")
        var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: manifestURL)) as! [String: Any]
        manifest["onnx_int8"] = nil
        try JSONSerialization.data(withJSONObject: manifest).write(to: manifestURL)
        #expect {
            try LoadedModel(directory: copy, name: "tiny", version: "1", options: .init(), precision: .int8)
        } throws: { error in
            "\(error)".contains("onnx_int8")
        }
    }

    @Test func aModelWhoseFilesDoNotMatchTheManifestIsRefused() throws {
        let copy = try Fixtures.tinyModelCopy()
        let vocab = copy.appendingPathComponent("vocab.txt")
        try (try String(contentsOf: vocab, encoding: .utf8) + "extra\n").write(
            to: vocab, atomically: true, encoding: .utf8)
        #expect {
            try LoadedModel(directory: copy, name: "tiny", version: "1", options: .init())
        } throws: { error in
            "\(error)".contains("vocab.txt has sha256") && "\(error)".contains("refusing to load")
        }
    }
}
