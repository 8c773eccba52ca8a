import Foundation

/// A throwaway certificate authority and a server certificate it signed for
/// 127.0.0.1 and localhost, made with the openssl command-line tool.
public struct TestCertificates: Sendable {
    public let caPEM: String
    public let caFile: URL
    public let serverCertificatePEM: String
    public let serverKeyPEM: String

    public static func make() throws -> TestCertificates {
        let dir = try TestEnvironment.temporaryDirectory("steward-tls")
        func openssl(_ arguments: [String]) throws {
            let result = try Subprocess.run("/usr/bin/openssl", arguments, currentDirectory: dir)
            guard result.status == 0 else {
                throw TestSupportError("openssl \(arguments.first ?? "") failed: \(result.stderr)")
            }
        }
        try openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Steward Test CA"
        ])
        try openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"
        ])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(
            to: dir.appendingPathComponent("san.ext"), atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "san.ext"
        ])
        func read(_ name: String) throws -> String {
            try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
        }
        return TestCertificates(
            caPEM: try read("ca.pem"), caFile: dir.appendingPathComponent("ca.pem"),
            serverCertificatePEM: try read("server.pem"), serverKeyPEM: try read("server.key"))
    }
}
