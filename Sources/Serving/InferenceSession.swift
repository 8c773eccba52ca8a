import COnnxRuntime
import Foundation

/// An ONNX Runtime error, with the runtime's message.
public struct OnnxRuntimeError: Error, CustomStringConvertible {
    public let description: String
}

/// The process-wide ONNX Runtime API table and environment.
final class OnnxRuntime: @unchecked Sendable {
    static let shared = OnnxRuntime()

    let api: OrtApi
    let environment: OpaquePointer?
    let memoryInfo: OpaquePointer?

    private init() {
        guard let table = steward_ort_api() else {
            fatalError("the ONNX Runtime library does not serve C API version \(steward_ort_api_version())")
        }
        api = table.pointee
        var env: OpaquePointer?
        var info: OpaquePointer?
        // Failing to create the environment leaves nothing to run; sessions report it.
        _ = api.CreateEnv(ORT_LOGGING_LEVEL_WARNING, "steward", &env)
        _ = api.CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &info)
        environment = env
        memoryInfo = info
    }

    func check(_ status: OpaquePointer?) throws {
        guard let status else { return }
        let message = api.GetErrorMessage(status).map { String(cString: $0) } ?? "unknown error"
        api.ReleaseStatus(status)
        throw OnnxRuntimeError(description: message)
    }
}

/// One ONNX Runtime session (`OrtSession`). `run` may be called from several
/// threads at once (ONNX Runtime's sessions are thread-safe for Run); the
/// session is released when the last reference goes.
public final class InferenceSession: @unchecked Sendable {
    public struct Options: Sendable {
        public var intraOpThreads: Int
        /// 0 none, 1 basic, 2 extended, 99 all.
        public var optimizationLevel: Int
        public init(intraOpThreads: Int = 0, optimizationLevel: Int = 99) {
            self.intraOpThreads = intraOpThreads
            self.optimizationLevel = optimizationLevel
        }
    }

    private let runtime = OnnxRuntime.shared
    private let session: OpaquePointer
    public let inputNames: [String]
    public let outputNames: [String]

    public init(modelPath: String, options: Options = Options()) throws {
        let ort = OnnxRuntime.shared
        let api = ort.api
        guard ort.environment != nil, ort.memoryInfo != nil else {
            throw OnnxRuntimeError(description: "cannot create the ONNX Runtime environment")
        }
        var sessionOptions: OpaquePointer?
        try ort.check(api.CreateSessionOptions(&sessionOptions))
        defer { api.ReleaseSessionOptions(sessionOptions) }
        try ort.check(api.SetIntraOpNumThreads(sessionOptions, Int32(options.intraOpThreads)))
        try ort.check(api.SetInterOpNumThreads(sessionOptions, 1))
        let level: GraphOptimizationLevel =
            switch options.optimizationLevel {
            case 0: ORT_DISABLE_ALL
            case 1: ORT_ENABLE_BASIC
            case 2: ORT_ENABLE_EXTENDED
            default: ORT_ENABLE_ALL
            }
        try ort.check(api.SetSessionGraphOptimizationLevel(sessionOptions, level))
        var created: OpaquePointer?
        try ort.check(api.CreateSession(ort.environment, modelPath, sessionOptions, &created))
        guard let created else { throw OnnxRuntimeError(description: "no session for \(modelPath)") }
        session = created

        var allocator: UnsafeMutablePointer<OrtAllocator>?
        try ort.check(api.GetAllocatorWithDefaultOptions(&allocator))
        func names(
            count: (OpaquePointer?, UnsafeMutablePointer<Int>?) -> OpaquePointer?,
            name: (
                OpaquePointer?, Int, UnsafeMutablePointer<OrtAllocator>?,
                UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
            ) -> OpaquePointer?
        ) throws -> [String] {
            var n = 0
            try ort.check(count(created, &n))
            return try (0..<n).map { index in
                var raw: UnsafeMutablePointer<CChar>?
                try ort.check(name(created, index, allocator, &raw))
                defer { _ = api.AllocatorFree(allocator, raw) }
                return raw.map { String(cString: $0) } ?? ""
            }
        }
        inputNames = try names(
            count: { api.SessionGetInputCount($0, $1) }, name: { api.SessionGetInputName($0, $1, $2, $3) })
        outputNames = try names(
            count: { api.SessionGetOutputCount($0, $1) }, name: { api.SessionGetOutputName($0, $1, $2, $3) })
    }

    deinit { runtime.api.ReleaseSession(session) }

    public enum Input {
        case int64([Int64], shape: [Int64])
        case float([Float], shape: [Int64])
    }

    /// Runs the graph on named inputs; returns the first output as floats and its shape.
    public func run(_ inputs: [(name: String, value: Input)]) throws -> (values: [Float], shape: [Int64]) {
        let api = runtime.api
        var values: [OpaquePointer?] = []
        defer { values.forEach { api.ReleaseValue($0) } }
        // The tensors point into these buffers (no copy): they must outlive Run.
        var buffers: [UnsafeMutableRawBufferPointer] = []
        defer { buffers.forEach { $0.deallocate() } }
        for input in inputs {
            var tensor: OpaquePointer?
            switch input.value {
            case .int64(let data, let shape):
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, data.count) * 8, alignment: 8)
                buffers.append(buffer)
                data.withUnsafeBytes { buffer.copyMemory(from: $0) }
                try runtime.check(
                    api.CreateTensorWithDataAsOrtValue(
                        runtime.memoryInfo, buffer.baseAddress, data.count * 8, shape, shape.count,
                        ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, &tensor))
            case .float(let data, let shape):
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, data.count) * 4, alignment: 4)
                buffers.append(buffer)
                data.withUnsafeBytes { buffer.copyMemory(from: $0) }
                try runtime.check(
                    api.CreateTensorWithDataAsOrtValue(
                        runtime.memoryInfo, buffer.baseAddress, data.count * 4, shape, shape.count,
                        ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &tensor))
            }
            values.append(tensor)
        }
        let inputNamesC = inputs.map { strdup($0.name) }
        defer { inputNamesC.forEach { free($0) } }
        let outputNameC = strdup(outputNames.first ?? "")
        defer { free(outputNameC) }
        var output: OpaquePointer?
        let status = inputNamesC.map { UnsafePointer($0) }.withUnsafeBufferPointer { names in
            values.withUnsafeBufferPointer { inputs in
                withUnsafePointer(to: UnsafePointer(outputNameC)) { outputName in
                    api.Run(session, nil, names.baseAddress, inputs.baseAddress, inputs.count, outputName, 1, &output)
                }
            }
        }
        try runtime.check(status)
        defer { api.ReleaseValue(output) }
        var info: OpaquePointer?
        try runtime.check(api.GetTensorTypeAndShape(output, &info))
        defer { api.ReleaseTensorTypeAndShapeInfo(info) }
        var rank = 0
        try runtime.check(api.GetDimensionsCount(info, &rank))
        var shape = [Int64](repeating: 0, count: rank)
        try runtime.check(api.GetDimensions(info, &shape, rank))
        var elements = 0
        try runtime.check(api.GetTensorShapeElementCount(info, &elements))
        var raw: UnsafeMutableRawPointer?
        try runtime.check(api.GetTensorMutableData(output, &raw))
        guard let raw else { throw OnnxRuntimeError(description: "the output tensor has no data") }
        let floats = raw.bindMemory(to: Float.self, capacity: elements)
        return (Array(UnsafeBufferPointer(start: floats, count: elements)), shape)
    }
}
