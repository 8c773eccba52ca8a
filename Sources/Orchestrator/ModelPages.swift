import ConsoleKit
import Foundation
import HTTPKit
import Monitor
import Registry

/// The console's pages of models and their rollouts: the overview of every model (what
/// serves, the rollout under way, live accuracy, open alerts), a model (versions and their
/// promotion verdicts, serving history, the rollout's steps and analyses, drift windows),
/// a version, and the live rollout page with the operators' commands. The same stores and
/// the same command path as the API (`RolloutAPI`).
public struct ModelPages: Sendable {
    let gate: ConsoleGate
    let registry: RegistryService
    let rollouts: RolloutAPI
    /// The PSI above which a drift window counts as drifted (the chart's threshold line).
    let driftThreshold: Double
    var store: RolloutStore { rollouts.store }
    var feedback: FeedbackStore { FeedbackStore(pool: registry.pool) }

    public init(gate: ConsoleGate, registry: RegistryService, rollouts: RolloutAPI, driftThreshold: Double) {
        self.gate = gate
        self.registry = registry
        self.rollouts = rollouts
        self.driftThreshold = driftThreshold
    }

    public func install(on router: inout Router) {
        gate.add(&router, .GET, "/", .viewer, overview)
        gate.add(&router, .GET, "/models", .viewer, overview)
        gate.add(&router, .GET, "/models/{name}", .viewer, model)
        gate.add(&router, .GET, "/models/{name}/versions/{version}", .viewer, version)
        gate.add(&router, .GET, "/models/{name}/rollout", .viewer, rollout)
        gate.add(&router, .POST, "/models/{name}/rollout/{action}", .operator, command)
        gate.add(&router, .POST, "/models/{name}/rollback", .operator, rollback)
    }

    // MARK: Overview

    func overview(_ request: Request, _ viewer: Viewer) throws -> Response {
        let models = try registry.registeredModels(limit: 500)
        let open = try AlertStore(pool: registry.pool).recent().filter { $0.endedAt == nil }
        let cards = try models.map { model -> HTML in
            let production = model.latestVersions.first { $0.stage == .production }
            let rollout = try store.latest(model: model.name)
            let accuracy = try feedback.accuracy(model: model.name)
            let alerts = open.filter { $0.model == model.name }
            let none: HTML = "<span class=\"muted\">none</span>"
            var facts: [(String, HTML)] = [
                ("Production", production.map { versionLink(model.name, $0.version) } ?? none),
                ("Champion", aliasLink(model, "champion")), ("Challenger", aliasLink(model, "challenger"))
            ]
            if let rollout { facts.append(("Rollout", rolloutSummary(rollout))) }
            let accuracyLines = accuracy.map { a -> HTML in
                "v\(a.version): \(Format.percent(a.accuracy)) of \(a.labelled)"
            }
            facts.append(
                (
                    "Live accuracy",
                    accuracy.isEmpty
                        ? "<span class=\"muted\">no feedback yet</span>"
                        : HTML.joined(accuracyLines, separator: "<br>")
                ))
            let alertLines = alerts.map { alert -> HTML in
                """
                \(HTML.badge(alert.metric, style: "firing")) \(Format.number(alert.value)) over \
                \(Format.number(alert.threshold)) since \(Format.time(alert.startedAt))
                """
            }
            facts.append(("Open alerts", alerts.isEmpty ? none : HTML.joined(alertLines, separator: "<br>")))
            return """
                <section class="model" data-model="\(model.name)"><h2><a href="\(Link.path("models", model.name))">\
                \(model.name)</a></h2>\(HTML.facts(facts))</section>
                """
        }
        let body: HTML =
            cards.isEmpty
            ? "<p class=\"muted\">No registered models yet: a finished training run registers its model.</p>"
            : "<div class=\"grid\">\(cards)</div>"
        return gate.render(ConsolePage(title: "Models", body: body), for: viewer)
    }

    private func runLink(_ id: String) -> HTML { "<a href=\"\(Link.path("runs", id))\">\(id.prefix(12))</a>" }

    private func versionLink(_ model: String, _ version: Int) -> HTML {
        "<a href=\"\(Link.path("models", model, "versions", version))\">v\(version)</a>"
    }

    private func aliasLink(_ model: RegisteredModel, _ alias: String) -> HTML {
        model.aliases[alias].map { versionLink(model.name, $0) } ?? "<span class=\"muted\">none</span>"
    }

    func rolloutSummary(_ rollout: RolloutStore.Row) -> HTML {
        let state = rollout.state
        let step = min(state.stepIndex + 1, state.steps.count)  // past the last step once promoted
        return """
            <a href="\(Link.path("models", rollout.model, "rollout"))">\(HTML.badge(state.phase.rawValue))</a> \
            v\(rollout.stable.map(String.init) ?? "–") → v\(rollout.canary), step \(step) of \
            \(state.steps.count), canary weight \(state.weight)%
            """
    }

    // MARK: Model and version

    func model(_ request: Request, _ viewer: Viewer) throws -> Response {
        let name = try request.parameter("name")
        let model = try registry.model(named: name)
        let versions = try registry.versions(of: name, limit: 100)
        let decisions = PromotionDecisions(pool: registry.pool)
        let rows = try versions.map { v -> HTML in
            let dataset = try registry.trainingDataset(of: v)
            let decision = try decisions.decision(model: name, modelID: model.id, version: v.version)
            let verdict: HTML =
                decision.map { d in
                    let reasons = (try? clauses(d))?.filter { !$0.passed }.map(\.reason) ?? []
                    let why: HTML =
                        reasons.isEmpty ? "" : "<br><span class=\"muted\">\(reasons.joined(separator: "; "))</span>"
                    return "\(HTML.verdict(d.passed))\(why)"
                } ?? "<span class=\"muted\">no policy verdict</span>"
            return """
                <tr><td>\(versionLink(name, v.version))</td>
                <td data-label="stage">\(HTML.badge(v.stage.rawValue))</td>
                <td data-label="aliases">\(v.aliases.joined(separator: ", "))</td>
                <td data-label="run">\(v.runID.map(runLink) ?? "")</td>
                <td data-label="dataset">\(dataset.map(HTML.link(to:)) ?? "")</td>
                <td data-label="verdict">\(verdict)</td></tr>
                """
        }
        let accuracy = try feedback.accuracy(model: name).map { a -> HTML in
            """
            <tr><td>v\(a.version)</td><td class="num">\(Format.percent(a.accuracy))</td>
            <td class="num">\(a.correct) / \(a.labelled)</td></tr>
            """
        }
        let history = try registry.servingHistory(modelName: name).reversed().map { interval -> HTML in
            """
            <tr><td>\(interval.track)</td><td>\(versionLink(name, interval.version))</td>
            <td>\(Format.time(interval.from))</td><td>\(interval.to.map(Format.time) ?? "serving")</td></tr>
            """
        }
        let rollout: HTML =
            try store.latest(model: name).map { rollout in
                """
                <p><a href="\(Link.path("models", name, "rollout"))">Watch it live</a></p>
                \(try liveSection(rollout))
                """
            } ?? "<p class=\"muted\">no rollout yet</p>"
        let aliases = model.aliases.sorted { $0.key < $1.key }.map { alias, version -> HTML in
            "\(alias) → \(versionLink(name, version))"
        }
        let policy: HTML = model.policy.map { "<code>\($0)</code>" } ?? "<span class=\"muted\">none</span>"
        return gate.render(
            ConsolePage(
                title: "Model \(name)",
                body: """
                    <section>\(HTML.facts([
                        ("Description", "\(model.description)"),
                        ("Aliases", HTML.joined(aliases, separator: ", ")), ("Promotion policy", policy)
                    ]))</section>
                    <section><h2>Versions</h2><div class="scroll"><table class="stack"><thead><tr><th>Version</th>
                    <th>Stage</th><th>Aliases</th><th>Source run</th><th>Dataset</th><th>Promotion verdict</th></tr>
                    </thead><tbody>\(rows)</tbody></table></div></section>
                    <div class="grid">
                    <section><h2>Live accuracy (feedback)</h2>\
                    \(HTML.listing(accuracy, none: "no labelled predictions yet") {
                        "<table><thead><tr><th>Version</th><th class=\"num\">Accuracy</th><th class=\"num\">Correct"
                            + "</th></tr></thead><tbody>\($0)</tbody></table>"
                    })</section>
                    <section><h2>Serving history</h2>\(HTML.listing(history, none: "nothing served yet") {
                        "<div class=\"scroll\"><table><thead><tr><th>Track</th><th>Version</th><th>From</th>"
                            + "<th>To</th></tr></thead><tbody>\($0)</tbody></table></div>"
                    })</section>
                    </div>
                    <section><h2>Rollout</h2>\(rollout)</section>
                    <section><h2>Drift (PSI per feature, stored windows)</h2>\(try drift(name))</section>
                    """), for: viewer)
    }

    private func clauses(_ decision: PromotionDecisions.Decision) throws -> [PromotionPolicy.ClauseResult] {
        try JSONDecoder().decode([PromotionPolicy.ClauseResult].self, from: JSON.encoder.encode(decision.clauses))
    }

    /// One chart per feature: each version and track's PSI over the windows, with the threshold.
    private func drift(_ name: String) throws -> HTML {
        let windows = try DriftStore(pool: registry.pool).storedWindows(model: name, limit: 5000)
        guard !windows.isEmpty else { return "<p class=\"muted\">no drift windows stored yet</p>" }
        let charts = Dictionary(grouping: windows, by: \.feature).sorted { $0.key < $1.key }.map { feature, rows in
            let lines = Dictionary(grouping: rows) { "v\($0.version) \($0.track)" }.sorted { $0.key < $1.key }
            return LineChart(
                title: feature,
                series: lines.map { label, points in
                    LineChart.Series(
                        name: label,
                        points: points.sorted { $0.windowStart < $1.windowStart }.map {
                            ($0.windowStart.timeIntervalSince1970, $0.psi)
                        })
                }, threshold: driftThreshold, xAxis: .time
            ).html
        }
        return "<div class=\"grid\">\(charts)</div>"
    }

    func version(_ request: Request, _ viewer: Viewer) throws -> Response {
        let name = try request.parameter("name")
        guard let number = VersionNumber.parse(try request.parameter("version")) else {
            throw RegistryError.notFound("\(name) has no version \(try request.parameter("version"))")
        }
        let model = try registry.model(named: name)
        let v = try registry.version(modelName: name, version: number)
        let dataset = try registry.trainingDataset(of: v)
        let decision = try PromotionDecisions(pool: registry.pool).decision(
            model: name, modelID: model.id, version: number)
        var facts: [(String, HTML)] = [
            ("Model", "<a href=\"\(Link.path("models", name))\">\(name)</a>"),
            ("Stage", HTML.badge(v.stage.rawValue)),
            ("Aliases", "\(v.aliases.joined(separator: ", "))"), ("Source", "<code>\(v.source)</code>"),
            ("Created", "\(Format.time(millis: v.creationTime))")
        ]
        if let run = v.runID { facts.append(("Source run", runLink(run))) }
        if let dataset { facts.append(("Dataset", HTML.link(to: dataset))) }
        if let sha = v.artifactSHA256 { facts.append(("Model SHA-256", "<code>\(sha)</code>")) }
        if !v.description.isEmpty { facts.append(("Description", "\(v.description)")) }
        let metrics = v.metrics.sorted { $0.key < $1.key }.map { key, value -> HTML in
            "<tr><th>\(key)</th><td class=\"num\">\(Format.number(value))</td></tr>"
        }
        var verdict: HTML = "<p class=\"muted\">no promotion policy verdict</p>"
        if let decision {
            let rows = try clauses(decision).map { c -> HTML in
                """
                <tr><td><code>\(c.clause)</code></td><td>\(HTML.badge(c.passed ? "pass" : "fail"))</td>\
                <td class="num">\(c.left.map(Format.number))</td>
                <td class="num">\(c.right.map(Format.number))</td><td>\(c.reason)</td></tr>
                """
            }
            verdict = """
                <p>\(HTML.verdict(decision.passed)) <code>\(decision.policy)</code> · \
                decided \(Format.time(decision.decidedAt))</p>
                <div class="scroll"><table><thead><tr><th>Clause</th><th>Outcome</th><th class="num">Left</th>
                <th class="num">Right</th><th>Reason</th></tr></thead><tbody>\(rows)</tbody></table></div>
                """
        }
        return gate.render(
            ConsolePage(
                title: "\(name) version \(number)",
                body: """
                    <section>\(HTML.facts(facts))</section>
                    <section><h2>Promotion verdict</h2>\(verdict)</section>
                    <div class="grid"><section><h2>Metrics</h2>\(HTML.listing(metrics, none: "none") {
                        "<table>\($0)</table>"
                    })</section>
                    <section><h2>Tags</h2>\(HTML.keyValues(v.tags))</section></div>
                    """), for: viewer)
    }
}
