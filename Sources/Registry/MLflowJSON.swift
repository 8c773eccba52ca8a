import Foundation
import HTTPKit
import Telemetry

/// Domain values in MLflow's JSON shapes. ids and versions are strings,
/// timestamps numbers, empty collections omitted, as MLflow's server writes them.
enum MLflowJSON {
    static func response(_ object: [String: Any]) -> Response {
        var body: [UInt8] = []
        body.reserveCapacity(256)
        do {
            try write(object, into: &body)
        } catch {
            return .error(HTTPError(status: 500, code: "INTERNAL_ERROR", message: "response encoding failed"))
        }
        return Response(status: 200, headers: ["Content-Type": "application/json"], body: .bytes(Data(body)))
    }

    private struct Unencodable: Error {}

    /// The builders' dictionaries (native Swift values only) as JSON text. Neither of
    /// Foundation's writers fits this hot path on Linux: JSONSerialization bridges every value
    /// through NSDictionary and NSNumber, JSONEncoder pays Codable's generic machinery per
    /// value; either was most of a 100-run search's time. Non-finite doubles are spelled as
    /// Protocol Buffers' JSON does ("NaN", "Infinity", "-Infinity").
    private static func write(_ value: Any, into out: inout [UInt8]) throws {
        switch value {
        case let text as String: JSONText.appendString(text, to: &out)
        case let flag as Bool: out.append(contentsOf: (flag ? "true" : "false").utf8)
        case let number as Int: out.append(contentsOf: String(number).utf8)
        case let number as Int64: out.append(contentsOf: String(number).utf8)
        case let number as Double where number.isFinite: out.append(contentsOf: number.description.utf8)
        case let number as Double:
            JSONText.appendString(number.isNaN ? "NaN" : (number > 0 ? "Infinity" : "-Infinity"), to: &out)
        case let object as [String: Any]:
            out.append(UInt8(ascii: "{"))
            for (index, (key, item)) in object.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                try write(item, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case let list as [Any]:
            out.append(UInt8(ascii: "["))
            for (index, item) in list.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                try write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case is NSNull: out.append(contentsOf: "null".utf8)
        default: throw Unencodable()
        }
    }

    static func keyValues(_ values: [String: String]) -> [[String: Any]] {
        values.keys.sorted().map { ["key": $0, "value": values[$0]!] }
    }

    static func experiment(_ e: Experiment) -> [String: Any] {
        var object: [String: Any] = [
            "experiment_id": String(e.id), "name": e.name, "artifact_location": e.artifactLocation,
            "lifecycle_stage": e.lifecycleStage, "creation_time": e.creationTime,
            "last_update_time": e.lastUpdateTime
        ]
        if !e.tags.isEmpty { object["tags"] = keyValues(e.tags) }
        return object
    }

    static func runInfo(_ r: Run) -> [String: Any] {
        var info: [String: Any] = [
            "run_id": r.id, "run_uuid": r.id, "experiment_id": String(r.experimentID), "run_name": r.name,
            "user_id": r.userID, "status": r.status.mlflowName, "start_time": r.startTime,
            "artifact_uri": r.artifactURI, "lifecycle_stage": r.lifecycleStage
        ]
        if let end = r.endTime { info["end_time"] = end }
        return info
    }

    static func metric(_ m: MetricPoint) -> [String: Any] {
        ["key": m.key, "value": m.value, "timestamp": m.timestamp, "step": m.step]
    }

    static func run(_ r: Run) -> [String: Any] {
        var data: [String: Any] = [:]
        if !r.metrics.isEmpty { data["metrics"] = r.metrics.map(metric) }
        if !r.params.isEmpty { data["params"] = keyValues(r.params) }
        if !r.tags.isEmpty { data["tags"] = keyValues(r.tags) }
        var inputs: [String: Any] = [:]
        if !r.inputs.isEmpty {
            inputs["dataset_inputs"] = r.inputs.map { input -> [String: Any] in
                var entry: [String: Any] = [
                    "dataset": [
                        "name": input.name, "digest": input.digest, "source_type": input.sourceType,
                        "source": input.source, "schema": input.schema, "profile": input.profile
                    ]
                ]
                if !input.tags.isEmpty { entry["tags"] = keyValues(input.tags) }
                return entry
            }
        }
        return ["info": runInfo(r), "data": data, "inputs": inputs]
    }

    static func modelVersion(_ v: ModelVersion) -> [String: Any] {
        var object: [String: Any] = [
            "name": v.modelName, "version": String(v.version), "creation_timestamp": v.creationTime,
            "last_updated_timestamp": v.lastUpdateTime, "current_stage": v.stage.rawValue,
            "description": v.description, "source": v.source, "status": v.status
        ]
        if let run = v.runID { object["run_id"] = run }
        if !v.tags.isEmpty { object["tags"] = keyValues(v.tags) }
        if !v.aliases.isEmpty { object["aliases"] = v.aliases }
        return object
    }

    static func registeredModel(_ m: RegisteredModel) -> [String: Any] {
        var object: [String: Any] = [
            "name": m.name, "creation_timestamp": m.creationTime, "last_updated_timestamp": m.lastUpdateTime,
            "description": m.description
        ]
        if !m.latestVersions.isEmpty { object["latest_versions"] = m.latestVersions.map(modelVersion) }
        if !m.tags.isEmpty { object["tags"] = keyValues(m.tags) }
        if !m.aliases.isEmpty {
            object["aliases"] = m.aliases.keys.sorted().map { ["alias": $0, "version": String(m.aliases[$0]!)] }
        }
        return object
    }

    static func loggedModel(_ m: LoggedModel) -> [String: Any] {
        var info: [String: Any] = [
            "model_id": m.id, "experiment_id": String(m.experimentID), "name": m.name,
            "artifact_uri": m.artifactURI, "status": m.status, "creation_timestamp_ms": m.creationTime,
            "last_updated_timestamp_ms": m.lastUpdateTime, "model_type": ""
        ]
        if let run = m.runID { info["source_run_id"] = run }
        if !m.tags.isEmpty { info["tags"] = keyValues(m.tags) }
        var data: [String: Any] = [:]
        if !m.params.isEmpty { data["params"] = keyValues(m.params) }
        return ["info": info, "data": data]
    }

    static func page(_ key: String, _ items: [[String: Any]], _ token: String?) -> [String: Any] {
        var object: [String: Any] = [key: items]
        if let token { object["next_page_token"] = token }
        return object
    }
}
