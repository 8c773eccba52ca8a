import Foundation
@testable import Orchestrator
import Testing
import TestSupport

@Suite struct KubeconfigTests {
    @Test func theCurrentContextResolvesToServerCAAndToken() throws {
        let ca = Data("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8).base64EncodedString()
        let directory = try TestEnvironment.temporaryDirectory("kube")
        try "client-cert-pem\n".write(
            to: directory.appendingPathComponent("client.crt"), atomically: true, encoding: .utf8)
        try "client-key-pem\n".write(
            to: directory.appendingPathComponent("client.key"), atomically: true, encoding: .utf8)
        let text = """
            apiVersion: v1
            kind: Config
            # written by kubectl
            clusters:
            - cluster:
                certificate-authority-data: \(ca)
                server: https://10.0.0.1:6443
              name: gke
            - cluster:
                server: "https://127.0.0.1:6443"
                certificate-authority: ca.pem
              name: local
            contexts:
            - context:
                cluster: gke
                namespace: steward
                user: ci
              name: prod
            - context:
                cluster: local
                user: dev
              name: dev
            current-context: prod
            preferences: {}
            users:
            - name: ci
              user:
                token: 'abc.def'
            - name: dev
              user:
                client-certificate: client.crt
                client-key: client.key
            """
        let file = directory.appendingPathComponent("config")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let prod = try Kubeconfig.load(path: file.path)
        #expect(prod.server == "https://10.0.0.1:6443" && prod.namespace == "steward" && prod.token == "abc.def")
        #expect(prod.caPEM?.hasPrefix("-----BEGIN CERTIFICATE-----") == true)
        let dev = try Kubeconfig.load(path: file.path, context: "dev")
        #expect(dev.server == "https://127.0.0.1:6443" && dev.caFile == directory.appendingPathComponent("ca.pem").path)
        #expect(
            dev.clientCertificatePEM == "client-cert-pem\n" && dev.clientKeyPEM == "client-key-pem\n"
                && dev.namespace == "default")
        #expect(throws: KubernetesError.self) { try Kubeconfig.load(path: file.path, context: "nope") }
    }
}
