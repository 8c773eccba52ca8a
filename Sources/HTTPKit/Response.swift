import Foundation

public struct Response: Sendable {
    public enum Body: Sendable {
        case bytes(Data)
        /// Sent from disk without reading it into memory.
        case file(path: String, size: Int)
    }

    public var status: Int
    public var headers: HTTPHeaders
    public var body: Body

    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), body: Body = .bytes(Data())) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json<T: Encodable>(_ value: T, status: Int = 200) -> Response {
        do {
            return Response(
                status: status, headers: ["Content-Type": "application/json"],
                body: .bytes(try JSON.encoder.encode(value)))
        } catch {
            return Response(
                status: 500, headers: ["Content-Type": "application/json"],
                body: .bytes(Data(#"{"error":{"code":"internal","message":"response encoding failed"}}"#.utf8)))
        }
    }

    public static func text(
        _ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8"
    ) -> Response {
        Response(status: status, headers: ["Content-Type": contentType], body: .bytes(Data(text.utf8)))
    }

    public static func empty(status: Int = 204) -> Response { Response(status: status) }

    /// Steward's error shape: `{"error": {"code": "...", "message": "..."}}`.
    public static func error(_ error: HTTPError) -> Response {
        struct Envelope: Encodable {
            struct Detail: Encodable {
                let code: String
                let message: String
            }
            let error: Detail
        }
        var response = Response.json(
            Envelope(error: .init(code: error.code, message: error.message)), status: error.status)
        for (name, value) in error.headers { response.headers.set(name, value) }
        return response
    }
}
