import Digest
import Foundation
import TextFeatures

/// `steward.json`: what a model directory holds (docs/contracts.md).
public struct ModelManifest: Codable, Sendable, Equatable {
    public var format: Int
    public var labels: [String]
    public var maxLength: Int
    public var doLowerCase: Bool?
    public var onnx: String
    /// The same weights quantised to int8 (dynamic), when training wrote them.
    public var onnxInt8: String?
    public var vocab: String
    public var baseModel: String?
    public var sha256: [String: String]?

    enum CodingKeys: String, CodingKey {
        case format, labels, onnx, vocab, sha256
        case onnxInt8 = "onnx_int8", maxLength = "max_length", doLowerCase = "do_lower_case", baseModel = "base_model"
    }
}

/// Which of a model's ONNX exports to run: the float32 one (default), or its dynamic int8
/// quantisation (training records its accuracy as `int8_accuracy` / `int8_f1` beside the
/// float's, so a promotion policy can require it to be as good).
public enum ModelPrecision: String, Sendable, CaseIterable {
    case fp32, int8
}

public struct ModelLoadError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A model ready to serve: its tokenizer and ONNX Runtime session. Immutable;
/// requests keep the instance they started with, so a swap never disturbs them.
public final class LoadedModel: Sendable {
    public let name: String
    public let version: String
    public let manifest: ModelManifest
    public let tokenizer: WordPieceTokenizer
    public let session: InferenceSession
    public let directory: URL
    public let precision: ModelPrecision

    /// Loads `directory`, refusing files whose sha256 differs from the manifest's.
    public init(
        directory: URL, name: String, version: String, options: InferenceSession.Options,
        precision: ModelPrecision = .fp32
    ) throws {
        let manifestURL = directory.appendingPathComponent("steward.json")
        guard let data = try? Data(contentsOf: manifestURL) else {
            throw ModelLoadError("no steward.json in \(directory.path)")
        }
        let manifest: ModelManifest
        do { manifest = try JSONDecoder().decode(ModelManifest.self, from: data) } catch {
            throw ModelLoadError("steward.json in \(directory.path) is not a valid manifest: \(error)")
        }
        guard manifest.format == 1 else {
            throw ModelLoadError("steward.json format \(manifest.format) is not supported (expected 1)")
        }
        guard manifest.labels.count >= 2 else { throw ModelLoadError("steward.json must name at least two labels") }
        guard (8...4096).contains(manifest.maxLength) else {
            throw ModelLoadError("steward.json max_length must be in 8...4096")
        }
        let onnx: String
        switch precision {
        case .fp32: onnx = manifest.onnx
        case .int8:
            guard let int8 = manifest.onnxInt8 else {
                throw ModelLoadError("int8 precision was asked for, but steward.json names no onnx_int8 export")
            }
            onnx = int8
        }
        for file in [onnx, manifest.vocab] {
            guard !file.contains(".."), !file.hasPrefix("/") else {
                throw ModelLoadError("steward.json names a file outside the model: \(file)")
            }
            let path = directory.appendingPathComponent(file).path
            guard FileManager.default.fileExists(atPath: path) else { throw ModelLoadError("the model has no \(file)") }
            if let expected = manifest.sha256?[file] {
                let actual = try SHA256.hex(fileAt: path)
                guard actual == expected.lowercased() else {
                    throw ModelLoadError(
                        "\(file) has sha256 \(actual), the manifest says \(expected): refusing to load")
                }
            }
        }
        self.name = name
        self.version = version
        self.manifest = manifest
        self.directory = directory
        self.precision = precision
        tokenizer = try WordPieceTokenizer(vocabularyFile: directory.appendingPathComponent(manifest.vocab).path)
        session = try InferenceSession(modelPath: directory.appendingPathComponent(onnx).path, options: options)
        for input in ["input_ids", "attention_mask"] where !session.inputNames.contains(input) {
            throw ModelLoadError(
                "the ONNX graph has no input \(input) (inputs: \(session.inputNames.joined(separator: ", ")))")
        }
    }

    /// Logits for a batch of encodings, padded to the batch's longest sequence.
    public func logits(_ encodings: [[Int32]]) throws -> [[Float]] {
        guard let longest = encodings.map(\.count).max(), longest > 0 else { return [] }
        var ids = [Int64](repeating: Int64(tokenizer.padID), count: encodings.count * longest)
        var mask = [Int64](repeating: 0, count: encodings.count * longest)
        for (row, encoding) in encodings.enumerated() {
            for (column, id) in encoding.enumerated() {
                ids[row * longest + column] = Int64(id)
                mask[row * longest + column] = 1
            }
        }
        let shape: [Int64] = [Int64(encodings.count), Int64(longest)]
        let output = try session.run([
            ("input_ids", .int64(ids, shape: shape)), ("attention_mask", .int64(mask, shape: shape))
        ])
        let classes = manifest.labels.count
        guard output.shape == [Int64(encodings.count), Int64(classes)] else {
            throw OnnxRuntimeError(
                description:
                    "the model returned logits of shape \(output.shape), expected [\(encodings.count), \(classes)]")
        }
        return (0..<encodings.count).map { Array(output.values[($0 * classes)..<(($0 + 1) * classes)]) }
    }

    /// Softmax, computed stably.
    public static func probabilities(_ logits: [Float]) -> [Double] {
        let top = Double(logits.max() ?? 0)
        let exps = logits.map { Foundation.exp(Double($0) - top) }
        let total = exps.reduce(0, +)
        return exps.map { $0 / total }
    }
}
