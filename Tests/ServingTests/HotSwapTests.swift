import Foundation
import HTTPKit
import Testing
import TestSupport

/// steward-serve following a registry alias while it serves traffic.
@Suite(.serialized) struct HotSwapTests {
    struct Answer: Decodable {
        struct Model: Decodable { let version: String }
        let model: Model
    }

    @Test func movingTheAliasUnderLoadSwitchesVersionsWithoutAFailedRequest() throws {
        let daemon = try DaemonProcess()
        try daemon.registerTinyModel()
        let serve = try ServeProcess(environment: [
            "STEWARD_REGISTRY_URL": daemon.base, "STEWARD_REGISTRY_TOKEN": daemon.token,
            "STEWARD_MODEL_NAME": "sentiment",
            "STEWARD_MODEL_ALIAS": "champion", "STEWARD_MODEL_POLL_SECONDS": "0.2",
            "STEWARD_MODEL_CACHE": try TestEnvironment.temporaryDirectory("serve-cache").path
        ])
        let load = LoadGenerator(clients: 8, base: serve.base) { _ in try .json(.POST, "/predict", ["text": "swap me"])
        }
        func versions() -> [String] {
            load.snapshot.compactMap { try? JSONDecoder().decode(Answer.self, from: $0.body).model.version }
        }
        try eventually("answers from version 1") { versions().count > 100 }
        #expect(
            try daemon.client().send(.json(.PUT, "/api/v1/models/sentiment/aliases/champion", ["version": 2])).status
                == 200)
        try eventually("answers from version 2") {
            versions().suffix(100).allSatisfy { $0 == "2" } && versions().contains("2")
        }
        let (outcomes, errors) = load.stop()
        #expect(errors.isEmpty, "\(errors.prefix(3))")
        #expect(
            outcomes.allSatisfy { $0.status == 200 }, "\(outcomes.filter { $0.status != 200 }.count) failed requests")
        // Requests in flight at the swap may still finish on version 1; after them, only 2.
        let seen = versions()
        #expect(seen.first == "1" && seen.suffix(100).allSatisfy { $0 == "2" })
    }

    @Test func aDownloadWhoseDigestDoesNotMatchIsRefused() throws {
        let daemon = try DaemonProcess()
        try daemon.registerTinyModel()
        // Flip one byte of the stored vocabulary: the registry still names the old digest.
        let objects = daemon.artifactRoot.appendingPathComponent("objects")
        let vocabDigest = try String(contentsOf: try Fixtures.url("tiny-model/steward.json"), encoding: .utf8)
            .components(separatedBy: "\"vocab.txt\": \"")[1].prefix(64)
        let object = objects.appendingPathComponent("\(vocabDigest.prefix(2))/\(vocabDigest)")
        var bytes = try Data(contentsOf: object)
        bytes[0] ^= 0x20
        try bytes.write(to: object)
        let result = try Subprocess.run(
            try TestEnvironment.binary("steward-serve").path, [],
            environment: [
                "STEWARD_SERVE_PORT": "0", "STEWARD_REGISTRY_URL": daemon.base, "STEWARD_REGISTRY_TOKEN": daemon.token,
                "STEWARD_MODEL_NAME": "sentiment",
                "STEWARD_MODEL_CACHE": try TestEnvironment.temporaryDirectory("serve-cache").path
            ])
        #expect(result.status == 2)
        #expect(result.stderr.contains("vocab.txt of sentiment version 1 has sha256"), "\(result.stderr)")
    }
}
