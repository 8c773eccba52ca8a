import CCurl
import Foundation

/// Where curl's callbacks put a response: headers always; the body into memory,
/// a file, or a line callback. Used by one transfer on one thread.
final class TransferSink {
    enum Mode {
        case buffer
        case file(Int32)
        case lines((String) -> Bool)
    }

    let mode: Mode
    var headers = HTTPHeaders()
    var data = Data()
    var stoppedByConsumer = false
    private var pendingLine = [UInt8]()
    private var status = 0

    init(mode: Mode) { self.mode = mode }

    static let writeBody: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
        bytes, size, count, context in
        guard let bytes, let context else { return 0 }
        let sink = Unmanaged<TransferSink>.fromOpaque(context).takeUnretainedValue()
        let buffer = UnsafeRawBufferPointer(start: bytes, count: size * count)
        return sink.receive(buffer) ? buffer.count : 0
    }

    static let writeHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
        bytes, size, count, context in
        guard let bytes, let context else { return 0 }
        let sink = Unmanaged<TransferSink>.fromOpaque(context).takeUnretainedValue()
        let line = String(decoding: UnsafeRawBufferPointer(start: bytes, count: size * count), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            // A new response (after a redirect or an interim 1xx) replaces the headers.
            sink.headers = HTTPHeaders()
            sink.status = Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        } else if let colon = line.firstIndex(of: ":") {
            sink.headers.add(
                String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return size * count
    }

    private func receive(_ buffer: UnsafeRawBufferPointer) -> Bool {
        switch mode {
        case .buffer:
            data.append(buffer.bindMemory(to: UInt8.self))
        case .file(let descriptor):
            if status >= 300 {
                data.append(buffer.bindMemory(to: UInt8.self))
                return true
            }
            var offset = 0
            while offset < buffer.count {
                let n = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return false }
                offset += n
            }
        case .lines(let onLine):
            if status >= 300 {
                data.append(buffer.bindMemory(to: UInt8.self))
                return true
            }
            for byte in buffer {
                if byte == 0x0A {
                    let line = String(decoding: pendingLine, as: UTF8.self)
                    pendingLine.removeAll(keepingCapacity: true)
                    if !onLine(line) {
                        stoppedByConsumer = true
                        return false
                    }
                } else {
                    pendingLine.append(byte)
                }
            }
        }
        return true
    }

    /// A stream that ended without a final newline still delivers its last line.
    func flushLastLine() {
        guard case .lines(let onLine) = mode, !pendingLine.isEmpty, !stoppedByConsumer else { return }
        _ = onLine(String(decoding: pendingLine, as: UTF8.self))
        pendingLine.removeAll()
    }
}
