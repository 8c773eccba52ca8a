import Foundation
import HTTPKit
import Testing
import TestSupport

/// The native API on a real stewardd: auth, audit, idempotent creates, stages, datasets.
@Suite struct NativeAPITests {
    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            let code: String
            let message: String
        }
        let error: Detail
    }
    struct Version: Decodable {
        let version: Int
        let stage: String
        let aliases: [String]
    }

    @Test func tokensCarryRolesAndEveryMutationIsAudited() throws {
        let daemon = try DaemonProcess()
        let admin = daemon.client()
        let anonymous = HTTPClient(configuration: .init(baseURL: daemon.base, retry: .none))
        let refused = try anonymous.send(ClientRequest(.GET, "/api/v1/models"))
        #expect(refused.status == 401)
        #expect(try refused.json(ErrorBody.self).error.code == "unauthorized")
        #expect(
            try anonymous.send(ClientRequest(.GET, "/api/2.0/mlflow/experiments/get?experiment_id=0")).text.contains(
                "UNAUTHENTICATED"))

        let viewer = try admin.send(.json(.POST, "/api/v1/tokens", ["name": "grafana", "role": "viewer"])).json(
            CreatedToken.self
        ).token
        let op = try admin.send(.json(.POST, "/api/v1/tokens", ["name": "ci", "role": "operator"])).json(
            CreatedToken.self
        )
        .token
        #expect(try daemon.client(token: viewer).send(ClientRequest(.GET, "/api/v1/models")).status == 200)
        let forbidden = try daemon.client(token: viewer).send(.json(.POST, "/api/v1/models", ["name": "m"]))
        #expect(forbidden.status == 403)
        #expect(try forbidden.json(ErrorBody.self).error.message.contains("operator"))
        #expect(try daemon.client(token: op).send(.json(.POST, "/api/v1/models", ["name": "m"])).status == 201)
        #expect(try daemon.client(token: op).send(ClientRequest(.GET, "/api/v1/tokens")).status == 403)

        #expect(try admin.send(ClientRequest(.DELETE, "/api/v1/tokens/ci")).status == 204)
        // Revocation reaches cached lookups within the cache's few seconds.
        try eventually(timeout: 10, "the revoked token refused") {
            try daemon.client(token: op).send(ClientRequest(.GET, "/api/v1/models")).status == 401
        }
        let audit = try admin.send(ClientRequest(.GET, "/api/v1/audit")).json(AuditPage.self).items
        #expect(audit.contains { $0.actor == "ci" && $0.action == "model.create" && $0.target == "model:m" })
        #expect(audit.contains { $0.actor == "bootstrap" && $0.action == "token.revoke" && $0.target == "token:ci" })
        // The secret itself is never stored or logged.
        #expect(!daemon.process.standardError.contains(op))
    }

    @Test func createsAreIdempotentAndStageMovesAreAtomic() throws {
        let daemon = try DaemonProcess()
        let client = daemon.client()
        #expect(try client.send(.json(.POST, "/api/v1/models", ["name": "sentiment"])).status == 201)
        let again = try client.send(.json(.POST, "/api/v1/models", ["name": "sentiment"]))
        #expect(again.status == 409)
        #expect(again.headers["X-Existing-Id"] != nil)
        #expect(try again.json(ErrorBody.self).error.code == "already_exists")
        let experiment = try client.send(.json(.POST, "/api/v1/experiments", ["name": "e"]))
        #expect(experiment.status == 201)
        #expect(try client.send(.json(.POST, "/api/v1/experiments", ["name": "e"])).headers["X-Existing-Id"] != nil)

        for _ in 0..<2 {
            #expect(
                try client.send(
                    .json(
                        .POST, "/api/2.0/mlflow/model-versions/create",
                        ["name": "sentiment", "source": "mlflow-artifacts:/0/none/artifacts/model"])
                ).status == 200)
        }
        let promote = try client.send(
            .json(.PUT, "/api/v1/models/sentiment/aliases/champion", AliasMove(version: 1, promote: true)))
        #expect(try promote.json(Version.self).stage == "Production")
        let second = try client.send(
            .json(.PUT, "/api/v1/models/sentiment/aliases/champion", AliasMove(version: 2, promote: true)))
        #expect(try second.json(Version.self).aliases == ["champion"])
        let first = try client.send(ClientRequest(.GET, "/api/v1/models/sentiment/versions/1")).json(Version.self)
        #expect(first.stage == "Archived" && first.aliases.isEmpty)
        // A bad stage or an unknown version changes nothing.
        let badStage = try client.send(.json(.POST, "/api/v1/models/sentiment/versions/1/stage", ["stage": "Live"]))
        #expect(badStage.status == 400)
        let unknown = try client.send(
            .json(.PUT, "/api/v1/models/sentiment/aliases/champion", AliasMove(version: 9, promote: true)))
        #expect(unknown.status == 404)
        #expect(
            try client.send(ClientRequest(.GET, "/api/v1/models/sentiment/aliases/champion")).json(Version.self).version
                == 2)
    }

    struct AliasMove: Encodable {
        let version: Int
        let promote: Bool
    }

    struct Dataset: Decodable {
        struct Report: Decodable {
            let passed: Bool
            let rows: Int
            let duplicates: Int
            let errors: [String]
        }
        struct Profile: Decodable {
            struct Feature: Decodable {
                let edges: [Double]
                let shares: [Double]
            }
            let features: [String: Feature]
        }
        let id: String
        let rows: Int
        let sha256: String
        let label_counts: [String: Int]
        let validation: Report
        let profile: Profile?
    }
    struct Rejected: Decodable {
        struct Detail: Decodable {
            let code: String
            let report: Dataset.Report
        }
        let error: Detail
    }

    static func csv(_ rows: [(String, String)]) -> String {
        "text,label\n"
            + rows.map { "\"\($0.0.replacingOccurrences(of: "\"", with: "\"\""))\",\($0.1)" }.joined(separator: "\n")
            + "\n"
    }

    @Test func datasetsAreValidatedProfiledAndNeverHalfWritten() throws {
        let roots = try TestEnvironment.temporaryDirectory("datasets")
        let vocab = TestEnvironment.repositoryRoot.appendingPathComponent(".steward/assets/minilm/vocab.txt").path
        let daemon = try DaemonProcess(environment: ["STEWARD_DATASET_ROOTS": roots.path, "STEWARD_VOCAB_PATH": vocab])
        let client = daemon.client()
        let good = (0..<200).map {
            ("review number \($0), \($0 % 3 == 0 ? "awful" : "lovely") \"film\"", $0 % 3 == 0 ? "negative" : "positive")
        }
        let file = roots.appendingPathComponent("good.csv")
        try Self.csv(good).write(to: file, atomically: true, encoding: .utf8)
        let created = try client.send(
            .json(.POST, "/api/v1/datasets", ["name": "reviews", "version": "1", "path": file.path]))
        #expect(created.status == 201, "\(created.text)")
        let dataset = try created.json(Dataset.self)
        #expect(dataset.rows == 200 && dataset.label_counts == ["negative": 67, "positive": 133])
        #expect(dataset.validation.passed && dataset.validation.duplicates == 0)
        #expect(
            Set(dataset.profile?.features.keys ?? [:].keys) == [
                "char_length", "word_count", "oov_share", "non_letter_share"
            ])
        let shares = try #require(dataset.profile?.features["char_length"]?.shares)
        #expect(abs(shares.reduce(0, +) - 1) < 1e-9)

        let again = try client.send(
            .json(.POST, "/api/v1/datasets", ["name": "reviews", "version": "1", "path": file.path]))
        #expect(again.status == 409 && again.headers["X-Existing-Id"] == dataset.id)

        let broken =
            good.prefix(50) + [("", "positive"), ("fine", "neutral")]
            + Array(repeating: ("same", "negative"), count: 20)
        let bad = roots.appendingPathComponent("bad.csv")
        try Self.csv(Array(broken)).write(to: bad, atomically: true, encoding: .utf8)
        let rejected = try client.send(
            .json(.POST, "/api/v1/datasets", ["name": "reviews", "version": "2", "path": bad.path]))
        #expect(rejected.status == 422)
        let report = try rejected.json(Rejected.self).error.report
        #expect(!report.passed && report.duplicates == 19)
        #expect(
            report.errors.contains { $0.contains("empty text") } && report.errors.contains { $0.contains("neutral") })
        #expect(try client.send(ClientRequest(.GET, "/api/v1/datasets/reviews/2")).status == 404)

        let outside = try client.send(
            .json(.POST, "/api/v1/datasets", ["name": "secrets", "version": "1", "path": "/etc/passwd"]))
        #expect(outside.status == 403)

        let upload = try client.send(
            ClientRequest(.PUT, "/api/v1/datasets/uploaded/1?format=csv", body: Data(Self.csv(good).utf8)))
        #expect(upload.status == 201)
        #expect(try upload.json(Dataset.self).sha256 == dataset.sha256)
    }
}
