import Foundation
import HTTPKit

/// One `stewardctl` invocation: a command over the admin API.
struct Command {
    let arguments: Arguments
    let client: HTTPClient
    var json: Bool { arguments.switches.contains("json") }

    static let help = """
        stewardctl — operate Steward through its admin API

        usage: stewardctl [--url URL] [--token TOKEN | --token-file FILE] [--json] COMMAND

          status                                      leader, executor, runs by status
          runs list [--model M] [--limit N]           recent runs
          runs show RUN                               one run with params, metrics, events
          runs submit --model M --dataset NAME@VER [--base-model tiny|PATH] [--params JSON] [--warm-start V]
          runs cancel RUN
          runs logs RUN [--tail N]
          models list | models show NAME
          versions list MODEL [--stage STAGE]
          versions show MODEL VERSION                 with the promotion decision
          versions promote MODEL VERSION [--alias champion]   alias + Production, old Production archived
          versions archive MODEL VERSION
          alias set MODEL ALIAS VERSION
          policy show MODEL | policy set MODEL 'EXPR' (e.g. 'accuracy >= 0.8 and f1 >= production.f1 + 0.005')
          tokens create NAME --role viewer|operator|admin | tokens revoke NAME
          rollout start MODEL CANARY_VERSION
          rollout status|watch MODEL
          rollout promote|abort|pause|resume|retry MODEL [--reason TEXT]   (promote --full: straight to 100%)
          rollback MODEL [--to VERSION] [--reason TEXT]   champion back to the previous stable version at once
          history MODEL                               which version served each track, from when to when
          drift MODEL [--limit N]                     the monitor's newest drift windows (PSI per feature)
          datasets list [NAME]                        dataset versions, newest first
          datasets show NAME@VERSION                  digest, validation, sources and lineage
          datasets from-feedback NAME@VERSION --model M [--since ISO-TIME]
                                                      the version plus M's labelled feedback, as NAME's next version
          webhooks list | webhooks remove NAME | webhooks test NAME
          webhooks add NAME URL [--events KIND,KIND]  subscribe (admin); prints the signing secret, once
          webhooks deliveries NAME [--limit N]        the delivery log: event, attempts, status, delivered
          alerts                                      alerts, firing first
          alerts ack ALERT_ID                         acknowledge a firing alert (who and when, audited)
          alerts silence RULE SECONDS                 hold back a rule's notifications (0 lifts it; at most 30 days)

        Settings: flags, then STEWARD_URL / STEWARD_TOKEN / STEWARD_TOKEN_FILE, then
        ~/.config/steward/config (url = ..., token = ...). --json prints the API's JSON.
        Exit status: 0 done, 1 the API refused (one line on stderr), 2 wrong usage.
        """

    func run() throws -> Int32 {
        let noun = try arguments.word(0, "command (see --help)")
        switch noun {
        case "status": return try status()
        case "runs": return try runs(try arguments.word(1, "runs subcommand"))
        case "models": return try models(try arguments.word(1, "models subcommand"))
        case "versions": return try versions(try arguments.word(1, "versions subcommand"))
        case "alias": return try alias(try arguments.word(1, "alias subcommand"))
        case "policy": return try policy(try arguments.word(1, "policy subcommand"))
        case "tokens": return try tokens(try arguments.word(1, "tokens subcommand"))
        case "rollout": return try rollout(try arguments.word(1, "rollout subcommand"))
        case "rollback": return try rollback(try arguments.word(1, "model name"))
        case "history": return try history(try arguments.word(1, "model name"))
        case "drift": return try drift(try arguments.word(1, "model name"))
        case "datasets": return try datasets(try arguments.word(1, "datasets subcommand"))
        case "webhooks": return try webhooks(try arguments.word(1, "webhooks subcommand"))
        case "alerts": return try alerts(arguments.words.count > 1 ? try arguments.word(1, "alerts subcommand") : nil)
        default: throw UsageError("unknown command '\(noun)' (see --help)")
        }
    }

    // MARK: API

    func call(_ method: HTTPMethod, _ path: String, body: [String: Any]? = nil) throws -> Data {
        var request = ClientRequest(method, path)
        if let body {
            request.body = try JSONSerialization.data(withJSONObject: body)
            request.headers.set("Content-Type", "application/json")
        }
        return try client.send(request).success().body
    }

    func object(_ method: HTTPMethod, _ path: String, body: [String: Any]? = nil) throws -> [String: Any] {
        let data = try call(method, path, body: body)
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    func escaped(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/", "?", "&", "="])) ?? text
    }

    func show(
        _ method: HTTPMethod, _ path: String, body: [String: Any]? = nil, render: ([String: Any]) -> Void
    ) throws -> Int32 {
        let data = try call(method, path, body: body)
        if json {
            Output.json(data)
            return 0
        }
        render((try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
        return 0
    }

    // MARK: Commands

    func status() throws -> Int32 {
        try show(.GET, "/api/v1/status") { o in
            Output.fields([
                ("replica", Output.cell(o["replica"])), ("leader", Output.cell(o["leader"])),
                ("executor", Output.cell(o["executor"])), ("runs", Output.cell(o["runs"]))
            ])
        }
    }

    func webhooks(_ verb: String) throws -> Int32 {
        switch verb {
        case "list":
            return try show(.GET, "/api/v1/webhooks") { o in
                Output.table(
                    ["name", "url", "events", "created by"],
                    (o["items"] as? [[String: Any]] ?? []).map { w in
                        let events = (w["events"] as? [String]) ?? []
                        return [
                            Output.cell(w["name"]), Output.cell(w["url"]),
                            events.isEmpty ? "all" : events.joined(separator: ","), Output.cell(w["created_by"])
                        ]
                    })
            }
        case "add":
            let name = try arguments.word(2, "webhook name"), url = try arguments.word(3, "URL")
            var body: [String: Any] = ["name": name, "url": url]
            if let events = arguments.options["events"] {
                body["events"] = events.split(separator: ",").map(String.init)
            }
            return try show(.POST, "/api/v1/webhooks", body: body) { o in
                print("subscribed \(name): sign-check deliveries with this secret (shown only now):")
                print(Output.cell(o["secret"]))
            }
        case "remove":
            let name = try arguments.word(2, "webhook name")
            _ = try call(.DELETE, "/api/v1/webhooks/\(escaped(name))")
            print("removed \(name)")
            return 0
        case "test":
            let name = try arguments.word(2, "webhook name")
            return try show(.POST, "/api/v1/webhooks/\(escaped(name))/test", body: [:]) { o in
                print("test event \(Output.cell(o["event_id"])) recorded; see: stewardctl webhooks deliveries \(name)")
            }
        case "deliveries":
            let name = try arguments.word(2, "webhook name")
            let limit = try arguments.int("limit", default: 20)
            return try show(.GET, "/api/v1/webhooks/\(escaped(name))/deliveries?limit=\(limit)") { o in
                Output.table(
                    ["event", "kind", "attempts", "status", "delivered", "next try / failed", "error"],
                    (o["items"] as? [[String: Any]] ?? []).map { d in
                        [
                            Output.cell(d["event_id"]), Output.cell(d["kind"]), Output.cell(d["attempts"]),
                            Output.cell(d["last_status"]), Output.cell(d["delivered_at"]),
                            Output.cell(d["failed_at"] ?? d["next_attempt_at"]), Output.cell(d["last_error"])
                        ]
                    })
            }
        default: throw UsageError("unknown webhooks subcommand '\(verb)' (list, add, remove, test, deliveries)")
        }
    }

    func datasets(_ verb: String) throws -> Int32 {
        func reference(_ text: String) throws -> (name: String, version: String) {
            guard let at = text.firstIndex(of: "@"), at != text.startIndex, text.index(after: at) != text.endIndex
            else { throw UsageError("a dataset is written NAME@VERSION") }
            return (String(text[..<at]), String(text[text.index(after: at)...]))
        }
        switch verb {
        case "list":
            var path = "/api/v1/datasets?limit=\(try arguments.int("limit", default: 50))"
            if arguments.words.count > 2 { path += "&name=" + escaped(try arguments.word(2, "dataset name")) }
            return try show(.GET, path) { o in
                Output.table(
                    ["dataset", "rows", "sha256", "parent", "created"],
                    (o["items"] as? [[String: Any]] ?? []).map { d in
                        [
                            "\(Output.cell(d["name"]))@\(Output.cell(d["version"]))", Output.cell(d["rows"]),
                            String(Output.cell(d["sha256"]).prefix(12)), Output.cell(d["parent"]),
                            Output.cell(d["created_at"])
                        ]
                    })
            }
        case "show":
            let (name, version) = try reference(try arguments.word(2, "dataset NAME@VERSION"))
            return try show(.GET, "/api/v1/datasets/\(escaped(name))/\(escaped(version))") { d in
                let validation = d["validation"] as? [String: Any] ?? [:]
                let profile = d["profile"] as? [String: Any]
                Output.fields([
                    ("dataset", "\(name)@\(version)"), ("rows", Output.cell(d["rows"])),
                    ("labels", Output.cell(d["label_counts"])), ("sha256", Output.cell(d["sha256"])),
                    ("uri", Output.cell(d["uri"])),
                    ("validation", (validation["passed"] as? Bool) == true ? "passed" : "FAILED"),
                    ("warnings", Output.cell(validation["warnings"])), ("reference", Output.cell(profile?["source"])),
                    ("parent", Output.cell(d["parent"])), ("derived", Output.cell(d["derived"]))
                ])
                let sources = d["sources"] as? [[String: Any]] ?? []
                if !sources.isEmpty {
                    print("\nsources")
                    Output.table(
                        ["kind", "rows", "from"],
                        sources.map { source in
                            let digest = Output.cell(source["sha256"]).prefix(12)
                            let from =
                                source["kind"] as? String == "dataset"
                                ? "\(Output.cell(source["dataset"])) (sha256 \(digest))"
                                : "model \(Output.cell(source["model"])) feedback \(Output.cell(source["from"])) .. "
                                    + "\(Output.cell(source["to"])) (ids \(Output.cell(source["first_feedback_id"]))-"
                                    + "\(Output.cell(source["last_feedback_id"])))"
                            return [Output.cell(source["kind"]), Output.cell(source["rows"]), from]
                        })
                }
                let trained = d["trained_by"] as? [[String: Any]] ?? []
                print("\ntrained on it" + (trained.isEmpty ? ": no run yet" : ""))
                if !trained.isEmpty {
                    Output.table(
                        ["run", "model", "version"],
                        trained.map {
                            [Output.cell($0["run_id"]), Output.cell($0["model"]), Output.cell($0["version"])]
                        })
                }
            }
        case "from-feedback":
            let parent = try arguments.word(2, "parent dataset NAME@VERSION")
            _ = try reference(parent)
            guard let model = arguments.options["model"] else {
                throw UsageError("datasets from-feedback needs --model M")
            }
            var body: [String: Any] = ["parent": parent, "model": model]
            if let since = arguments.options["since"] { body["since"] = since }
            return try show(.POST, "/api/v1/datasets/from-feedback", body: body) { d in
                let feedback = (d["sources"] as? [[String: Any]])?.last?["rows"] ?? 0
                print(
                    "registered \(Output.cell(d["name"]))@\(Output.cell(d["version"])): \(Output.cell(d["rows"])) "
                        + "rows, \(feedback) of them labelled feedback")
            }
        default: throw UsageError("unknown datasets subcommand '\(verb)' (list, show, from-feedback)")
        }
    }

    func runs(_ verb: String) throws -> Int32 {
        switch verb {
        case "list":
            var path = "/api/v1/runs?limit=\(try arguments.int("limit", default: 20))"
            if let model = arguments.options["model"] {
                path += "&filter=" + escaped("tags.`steward.model_name` = '\(model)'")
            }
            return try show(.GET, path) { o in
                let items = o["items"] as? [[String: Any]] ?? []
                Output.table(
                    ["run", "status", "model", "started", "failure"],
                    items.map { run in
                        let tags = run["tags"] as? [String: Any] ?? [:]
                        let started = (run["start_time"] as? NSNumber).map {
                            Date(timeIntervalSince1970: $0.doubleValue / 1000)
                        }
                        return [
                            Output.cell(run["id"]), Output.cell(run["status"]), Output.cell(tags["steward.model_name"]),
                            started.map { ISO8601DateFormatter().string(from: $0) } ?? "-",
                            Output.cell(run["failure_reason"])
                        ]
                    })
            }
        case "show":
            let id = try arguments.word(2, "run id")
            let run = try object(.GET, "/api/v1/runs/\(escaped(id))")
            let events = try object(.GET, "/api/v1/runs/\(escaped(id))/events")
            if json {
                var merged = run
                merged["events"] = events["items"]
                Output.json(try JSONSerialization.data(withJSONObject: merged))
                return 0
            }
            let metrics = (run["metrics"] as? [[String: Any]] ?? []).map {
                "\(Output.cell($0["key"]))=\(Output.cell($0["value"]))"
            }
            Output.fields([
                ("run", Output.cell(run["id"])), ("status", Output.cell(run["status"])),
                ("name", Output.cell(run["name"])),
                ("failure", Output.cell(run["failure_reason"])), ("params", Output.cell(run["params"])),
                ("metrics", metrics.joined(separator: " "))
            ])
            print("")
            Output.table(
                ["at", "from", "to", "reason"],
                (events["items"] as? [[String: Any]] ?? []).map {
                    [
                        Output.cell($0["at"]), Output.cell($0["from_status"]), Output.cell($0["to_status"]),
                        Output.cell($0["reason"])
                    ]
                })
            return 0
        case "submit":
            guard let model = arguments.options["model"], let dataset = arguments.options["dataset"] else {
                throw UsageError("runs submit needs --model and --dataset NAME@VERSION")
            }
            var body: [String: Any] = [
                "model": model, "dataset": dataset, "base_model": arguments.options["base-model"] ?? "tiny"
            ]
            if let params = arguments.options["params"] {
                guard let parsed = try? JSONSerialization.jsonObject(with: Data(params.utf8)) as? [String: Any] else {
                    throw UsageError("--params must be a JSON object")
                }
                body["params"] = parsed
            }
            if let warm = arguments.options["warm-start"] {
                guard let version = Int(warm) else { throw UsageError("--warm-start must be a version number") }
                body["warm_start_version"] = version
            }
            return try show(.POST, "/api/v1/runs", body: body) { o in
                print("submitted run \(Output.cell(o["run_id"])) (\(Output.cell(o["status"])))")
            }
        case "cancel":
            let id = try arguments.word(2, "run id")
            return try show(.POST, "/api/v1/runs/\(escaped(id))/cancel") { o in
                print("cancelled run \(id) (was \(Output.cell(o["previous_status"])))")
            }
        case "logs":
            let id = try arguments.word(2, "run id")
            let data = try call(
                .GET, "/api/v1/runs/\(escaped(id))/logs?tail=\(try arguments.int("tail", default: 100))")
            print(String(decoding: data, as: UTF8.self))
            return 0
        default:
            throw UsageError("unknown runs subcommand '\(verb)'")
        }
    }

    func models(_ verb: String) throws -> Int32 {
        switch verb {
        case "list":
            return try show(.GET, "/api/v1/models?limit=\(try arguments.int("limit", default: 100))") { o in
                Output.table(
                    ["model", "aliases", "latest", "policy"],
                    (o["items"] as? [[String: Any]] ?? []).map { m in
                        let latest = (m["latest_versions"] as? [[String: Any]] ?? []).map {
                            "v\(Output.cell($0["version"])):\(Output.cell($0["stage"]))"
                        }
                        return [
                            Output.cell(m["name"]), Output.cell(m["aliases"]), latest.joined(separator: " "),
                            Output.cell(m["policy"])
                        ]
                    })
            }
        case "show":
            let name = try arguments.word(2, "model name")
            return try show(.GET, "/api/v1/models/\(escaped(name))") { m in
                Output.fields([
                    ("model", Output.cell(m["name"])), ("description", Output.cell(m["description"])),
                    ("aliases", Output.cell(m["aliases"])), ("policy", Output.cell(m["policy"]))
                ])
            }
        default:
            throw UsageError("unknown models subcommand '\(verb)'")
        }
    }

    func versions(_ verb: String) throws -> Int32 {
        let model = try arguments.word(2, "model name")
        switch verb {
        case "list":
            var path = "/api/v1/models/\(escaped(model))/versions?limit=\(try arguments.int("limit", default: 50))"
            if let stage = arguments.options["stage"] { path += "&stage=\(escaped(stage))" }
            return try show(.GET, path) { o in
                Output.table(
                    ["version", "stage", "aliases", "run", "accuracy", "f1"],
                    (o["items"] as? [[String: Any]] ?? []).map { v in
                        let metrics = v["metrics"] as? [String: Any] ?? [:]
                        return [
                            Output.cell(v["version"]), Output.cell(v["stage"]), Output.cell(v["aliases"]),
                            Output.cell(v["run_id"]),
                            Output.cell(metrics["accuracy"]), Output.cell(metrics["f1"])
                        ]
                    })
            }
        case "show":
            let version = try arguments.word(3, "version")
            let body = try object(.GET, "/api/v1/models/\(escaped(model))/versions/\(escaped(version))")
            let decision = try? object(.GET, "/api/v1/models/\(escaped(model))/versions/\(escaped(version))/decision")
            if json {
                var merged = body
                merged["decision"] = decision ?? NSNull()
                Output.json(try JSONSerialization.data(withJSONObject: merged))
                return 0
            }
            Output.fields([
                ("model", Output.cell(body["model"])), ("version", Output.cell(body["version"])),
                ("stage", Output.cell(body["stage"])),
                ("aliases", Output.cell(body["aliases"])), ("source", Output.cell(body["source"])),
                ("run", Output.cell(body["run_id"])), ("dataset", Output.cell(body["dataset"])),
                ("sha256", Output.cell(body["artifact_sha256"])), ("metrics", Output.cell(body["metrics"]))
            ])
            if let decision {
                print(
                    "\npolicy \(Output.cell(decision["policy"])): "
                        + "\((decision["passed"] as? Bool) == true ? "PASSED" : "FAILED")"
                )
                Output.table(
                    ["clause", "result", "reason"],
                    (decision["clauses"] as? [[String: Any]] ?? []).map {
                        [
                            Output.cell($0["clause"]), ($0["passed"] as? Bool) == true ? "pass" : "FAIL",
                            Output.cell($0["reason"])
                        ]
                    })
            } else {
                print("\nno promotion decision")
            }
            return 0
        case "promote":
            let version = try arguments.word(3, "version")
            guard let number = Int(version) else { throw UsageError("version must be a number") }
            let alias = arguments.options["alias"] ?? "champion"
            return try show(
                .PUT, "/api/v1/models/\(escaped(model))/aliases/\(escaped(alias))",
                body: ["version": number, "promote": true]
            ) { v in
                print("\(model) version \(Output.cell(v["version"])) is \(Output.cell(v["stage"])) with alias \(alias)")
            }
        case "archive":
            let version = try arguments.word(3, "version")
            return try show(
                .POST, "/api/v1/models/\(escaped(model))/versions/\(escaped(version))/stage",
                body: ["stage": "Archived"]
            ) { v in
                print("\(model) version \(Output.cell(v["version"])) is \(Output.cell(v["stage"]))")
            }
        default:
            throw UsageError("unknown versions subcommand '\(verb)'")
        }
    }

    func alias(_ verb: String) throws -> Int32 {
        guard verb == "set" else { throw UsageError("unknown alias subcommand '\(verb)'") }
        let model = try arguments.word(2, "model name"), alias = try arguments.word(3, "alias"),
            version = try arguments.word(4, "version")
        guard let number = Int(version) else { throw UsageError("version must be a number") }
        return try show(.PUT, "/api/v1/models/\(escaped(model))/aliases/\(escaped(alias))", body: ["version": number]) {
            _ in
            print("\(model)@\(alias) -> version \(number)")
        }
    }

    func drift(_ model: String) throws -> Int32 {
        try show(.GET, "/api/v1/models/\(escaped(model))/drift?limit=\(try arguments.int("limit", default: 40))") { o in
            Output.table(
                ["WINDOW", "VERSION", "TRACK", "FEATURE", "PSI", "ROWS"],
                (o["items"] as? [[String: Any]] ?? []).map { w in
                    [
                        Output.cell(w["window_start"]), Output.cell(w["version"]), Output.cell(w["track"]),
                        Output.cell(w["feature"]),
                        (w["psi"] as? Double).map { String(format: "%.3f", $0) } ?? "-", Output.cell(w["rows"])
                    ]
                })
        }
    }

    func alerts(_ verb: String?) throws -> Int32 {
        switch verb {
        case nil:
            return try show(.GET, "/api/v1/alerts") { o in
                let items = (o["items"] as? [[String: Any]] ?? []).sorted {
                    ($0["ended_at"] is NSNull ? 0 : 1) < ($1["ended_at"] is NSNull ? 0 : 1)
                }
                Output.table(
                    ["ID", "RULE", "METRIC", "MODEL", "VALUE", "THRESHOLD", "STARTED", "ENDED", "ACKNOWLEDGED BY"],
                    items.map { a in
                        [
                            Output.cell(a["id"]), Output.cell(a["rule"]), Output.cell(a["metric"]),
                            Output.cell(a["model"]),
                            (a["value"] as? Double).map { String(format: "%.3f", $0) } ?? "-",
                            Output.cell(a["threshold"]),
                            Output.cell(a["started_at"]),
                            a["ended_at"] is NSNull ? "firing" : Output.cell(a["ended_at"]),
                            Output.cell(a["acknowledged_by"])
                        ]
                    })
            }
        case "ack":
            let id = try arguments.word(2, "alert id")
            guard let number = Int64(id), number > 0 else {
                throw UsageError("the alert id must be a positive integer")
            }
            return try show(.POST, "/api/v1/alerts/\(number)/acknowledge", body: [:]) { _ in
                print("alert \(number) acknowledged")
            }
        case "silence":
            let rule = try arguments.word(2, "alert rule name")
            guard let seconds = Int(try arguments.word(3, "seconds")), seconds >= 0 else {
                throw UsageError("seconds must be a whole number of 0 or more")
            }
            return try show(.POST, "/api/v1/alert-rules/\(escaped(rule))/silence", body: ["seconds": seconds]) { o in
                print(
                    o["silenced_until"] is NSNull
                        ? "alert rule \(rule): notifications on"
                        : "alert rule \(rule): notifications held back until \(Output.cell(o["silenced_until"]))")
            }
        case let other?:
            throw UsageError("unknown alerts subcommand '\(other)' (ack, silence)")
        }
    }

    func policy(_ verb: String) throws -> Int32 {
        let model = try arguments.word(2, "model name")
        switch verb {
        case "show":
            return try show(.GET, "/api/v1/models/\(escaped(model))/policy") { o in print(Output.cell(o["policy"])) }
        case "set":
            let expression = try arguments.word(3, "policy expression")
            return try show(.PUT, "/api/v1/models/\(escaped(model))/policy", body: ["policy": expression]) { _ in
                print("policy of \(model) set")
            }
        default:
            throw UsageError("unknown policy subcommand '\(verb)'")
        }
    }

    func rollout(_ verb: String) throws -> Int32 {
        let model = try arguments.word(2, "model name")
        func render(_ o: [String: Any]) {
            Output.fields([
                ("model", Output.cell(o["model"])), ("phase", Output.cell(o["phase"])),
                ("stable", Output.cell(o["stable_version"])), ("canary", Output.cell(o["canary_version"])),
                ("step", "\(Output.cell(o["step"])) of \((o["steps"] as? [Any])?.count ?? 0)"),
                ("weight", "\(Output.cell(o["weight"]))%"),
                ("reason", Output.cell(o["reason"]))
            ])
            let events = o["events"] as? [[String: Any]] ?? []
            if !events.isEmpty {
                print("")
                Output.table(
                    ["at", "step", "weight", "event", "detail"],
                    events.suffix(10).map {
                        [
                            Output.cell($0["at"]), Output.cell($0["step"]), Output.cell($0["weight"]),
                            Output.cell($0["kind"]), Output.cell($0["detail"])
                        ]
                    })
            }
        }
        let path = "/api/v1/rollouts/\(escaped(model))"
        switch verb {
        case "start":
            guard let version = Int(try arguments.word(3, "canary version")) else {
                throw UsageError("canary version must be a number")
            }
            return try show(
                .POST, "/api/v1/rollouts", body: ["model": model, "canary_version": version], render: render)
        case "status":
            return try show(.GET, path, render: render)
        case "watch":
            var last = ""
            while true {
                let o = try object(.GET, path)
                let line =
                    "\(Output.cell(o["phase"])) step \(Output.cell(o["step"])) weight \(Output.cell(o["weight"]))% "
                    + "\(Output.cell(o["reason"]))"
                if line != last {
                    print(json ? String(decoding: try JSONSerialization.data(withJSONObject: o), as: UTF8.self) : line)
                    last = line
                }
                if ["Promoted", "Aborted"].contains(o["phase"] as? String ?? "") { return 0 }
                Thread.sleep(forTimeInterval: 2)
            }
        case "promote", "abort", "pause", "resume", "retry":
            let full = arguments.switches.contains("full")
            guard !full || verb == "promote" else { throw UsageError("--full goes with promote only") }
            let body = arguments.options["reason"].map { ["reason": $0] as [String: Any] }
            return try show(.POST, "\(path)/\(full ? "promote-full" : verb)", body: body) { o in
                render(o)
                if let command = o["command"] as? [String: Any], Output.cell(command["outcome"]) == "pending" {
                    print(
                        "\nthe leader has not applied it yet; `stewardctl rollout status \(model)` shows when it does")
                }
            }
        default:
            throw UsageError("unknown rollout subcommand '\(verb)'")
        }
    }

    func rollback(_ model: String) throws -> Int32 {
        var body: [String: Any] = [:]
        if let to = arguments.options["to"] {
            guard let version = Int(to), version > 0 else { throw UsageError("--to must be a version number") }
            body["to"] = version
        }
        if let reason = arguments.options["reason"] { body["reason"] = reason }
        return try show(.POST, "/api/v1/models/\(escaped(model))/rollback", body: body) { o in
            let outcome = Output.cell(o["outcome"])
            print(
                outcome == "pending"
                    ? "rollback of \(model) recorded; the leader has not applied it yet"
                    : "\(model): \(outcome); champion is version \(Output.cell(o["champion"]))")
        }
    }

    func history(_ model: String) throws -> Int32 {
        try show(.GET, "/api/v1/models/\(escaped(model))/history") { o in
            Output.table(
                ["track", "version", "from", "to"],
                (o["intervals"] as? [[String: Any]] ?? []).map {
                    [
                        Output.cell($0["track"]), Output.cell($0["version"]), Output.cell($0["from"]),
                        $0["to"] is NSNull ? "now" : Output.cell($0["to"])
                    ]
                })
        }
    }

    func tokens(_ verb: String) throws -> Int32 {
        let name = try arguments.word(2, "token name")
        switch verb {
        case "create":
            guard let role = arguments.options["role"] else {
                throw UsageError("tokens create needs --role viewer|operator|admin")
            }
            return try show(.POST, "/api/v1/tokens", body: ["name": name, "role": role]) { o in
                print(Output.cell(o["token"]))
                FileHandle.standardError.write(Data("token \(name) (\(role)) created; it is shown only once\n".utf8))
            }
        case "revoke":
            _ = try call(.DELETE, "/api/v1/tokens/\(escaped(name))")
            if !json { print("token \(name) revoked") } else { print("{\"revoked\": \"\(name)\"}") }
            return 0
        default:
            throw UsageError("unknown tokens subcommand '\(verb)'")
        }
    }
}
