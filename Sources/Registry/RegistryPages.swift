import ConsoleKit
import Foundation
import HTTPKit
import Postgres

/// The console's pages of the registry's objects: experiments and their runs (MLflow's filter
/// language, sortable params and metrics, paging, comparison), a run (params, tags, metric
/// charts sampled on the server, artifacts, dataset, the versions it produced), datasets
/// (validation report, reference profile, lineage) and the audit log. They read through the
/// same stores as the API.
struct RegistryPages {
    let registry: RegistryService
    let gate: ConsoleGate
    var tracking: TrackingStore { registry.tracking }

    static let runsPerPage = 50
    /// Points a metric chart draws at most: longer histories are sampled as MLflow's charts are.
    static let chartPoints = 200
    static let maxCharts = 12

    func install(on router: inout Router) {
        gate.add(&router, .GET, "/experiments", .viewer, experiments)
        gate.add(&router, .GET, "/experiments/{id}", .viewer, runs)
        gate.add(&router, .GET, "/compare", .viewer, compare)
        gate.add(&router, .GET, "/runs/{id}", .viewer, run)
        gate.add(&router, .GET, "/runs/{id}/artifacts/{path...}", .viewer, artifact)
        gate.add(&router, .GET, "/datasets", .viewer, datasets)
        gate.add(&router, .GET, "/datasets/{name}/{version}", .viewer, dataset)
        gate.add(&router, .GET, "/audit", .admin, audit)
    }

    // MARK: Experiments and runs

    func experiments(_ request: Request, _ viewer: Viewer) throws -> Response {
        let page = try tracking.searchExperiments(
            filter: try ModelFilter.parse(""), viewType: "ACTIVE_ONLY", limit: 1000, pageToken: nil)
        let rows = page.items.map { e -> HTML in
            """
            <tr><td data-label="id">\(e.id)</td><td><a href="\(Link.path("experiments", e.id))">\(e.name)</a></td>
            <td data-label="created">\(Format.time(millis: e.creationTime))</td></tr>
            """
        }
        return gate.render(
            ConsolePage(
                title: "Experiments",
                body: """
                    <section class="scroll"><table class="stack"><thead><tr><th>Id</th><th>Name</th><th>Created</th>
                    </tr></thead><tbody>\(rows)</tbody></table></section>
                    """), for: viewer)
    }

    func runs(_ request: Request, _ viewer: Viewer) throws -> Response {
        guard let id = Int64(try request.parameter("id")) else {
            throw RegistryError.notFound("no experiment \(try request.parameter("id"))")
        }
        let experiment = try tracking.experiment(id: id)
        let filter = request.query["filter"] ?? "", order = request.query["order"] ?? ""
        let token = request.query["page"]
        let found: Page<Run>
        var problem: HTML = ""
        do {
            found = try tracking.searchRuns(
                experimentIDs: [id], filter: filter, viewType: "ACTIVE_ONLY", orderBy: order.isEmpty ? [] : [order],
                limit: Self.runsPerPage, pageToken: token)
        } catch let error as RegistryError {
            // A filter that does not parse is shown beside the box, as MLflow's UI does.
            problem = "<p class=\"flash error\">\(error.native.message)</p>"
            found = Page(items: [], nextPageToken: nil)
        }
        let paramKeys = Array(Set(found.items.flatMap(\.params.keys)).sorted().prefix(8))
        let metricKeys = Array(Set(found.items.flatMap { $0.metrics.map(\.key) }).sorted().prefix(8))
        func sortLink(_ label: String, _ field: String) -> HTML {
            let descending = "\(field) DESC", ascending = "\(field) ASC"
            let next = order == descending ? ascending : descending
            let mark = order == descending ? " ▼" : order == ascending ? " ▲" : ""
            let href = Link.query(
                Link.path("experiments", id), [("filter", filter.isEmpty ? nil : filter), ("order", next)])
            return "<a href=\"\(href)\">\(label)\(mark)</a>"
        }
        let paramHeads = paramKeys.map { key -> HTML in
            "<th>\(sortLink(key, "params.`\(key)`"))</th>"
        }
        let metricHeads = metricKeys.map { key -> HTML in
            "<th class=\"num\">\(sortLink(key, "metrics.`\(key)`"))</th>"
        }
        let rows = found.items.map { run -> HTML in
            let latest = Dictionary(run.metrics.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            let params = paramKeys.map { key -> HTML in "<td data-label=\"\(key)\">\(run.params[key] ?? "")</td>" }
            let metrics = metricKeys.map { key -> HTML in
                "<td class=\"num\" data-label=\"\(key)\">\(latest[key].map(Format.number) ?? "")</td>"
            }
            return """
                <tr><td><input type="checkbox" name="runs" value="\(run.id)" aria-label="select \(run.name)"></td>
                <td><a href="\(Link.path("runs", run.id))">\(run.name.isEmpty ? run.id : run.name)</a></td>
                <td data-label="status">\(HTML.badge(run.status.rawValue))</td>
                <td data-label="started">\(Format.time(millis: run.startTime))</td>\(params)\(metrics)</tr>
                """
        }
        var pager: [HTML] = []
        if token != nil {
            pager.append(
                "<a href=\"\(Link.query(Link.path("experiments", id), [("filter", filter), ("order", order)]))\">"
                    + "First page</a>"
            )
        }
        if let next = found.nextPageToken {
            let href = Link.query(Link.path("experiments", id), [("filter", filter), ("order", order), ("page", next)])
            pager.append("<a href=\"\(href)\" rel=\"next\">Next page</a>")
        }
        return gate.render(
            ConsolePage(
                title: "Runs of \(experiment.name)",
                body: """
                    <form class="filter" method="get" action="\(Link.path("experiments", id))">
                    <input type="search" name="filter" value="\(filter)" aria-label="filter" \
                    placeholder="metrics.accuracy > 0.8 and params.optimizer = 'adamw'">
                    <input type="hidden" name="order" value="\(order)">
                    <button type="submit">Filter</button></form>\(problem)
                    <form id="compare" method="get" action="/compare">
                    <section class="scroll"><table class="stack" id="runs"><thead><tr><th></th>
                    <th>Run</th><th>Status</th><th>\(sortLink("Started", "attributes.start_time"))</th>\(paramHeads)\
                    \(metricHeads)</tr></thead>
                    <tbody>\(rows)</tbody></table></section>
                    <p class="muted">\(found.items.count) runs on this page\
                    \(filter.isEmpty ? "" : " matching the filter").\
                    </p>
                    <button type="submit">Compare</button></form>
                    <nav class="pager">\(pager)</nav>
                    """), for: viewer)
    }

    func compare(_ request: Request, _ viewer: Viewer) throws -> Response {
        let ids = Array(NSOrderedSet(array: request.queryValues["runs"] ?? []).compactMap { $0 as? String })
        guard (2...5).contains(ids.count) else {
            throw HTTPError.badRequest("choose 2 to 5 runs to compare (\(ids.count) chosen)")
        }
        let found = try tracking.runs(ids: ids)
        let runs = ids.compactMap { id in found.first { $0.id == id } }
        if let missing = ids.first(where: { id in !runs.contains { $0.id == id } }) {
            throw RegistryError.notFound("no run \(missing)")
        }
        let heads = runs.map { run -> HTML in "<th><a href=\"\(Link.path("runs", run.id))\">\(run.name)</a></th>" }
        func table(_ title: String, _ keys: [String], _ value: (Run, String) -> String?) -> HTML {
            let rows = keys.map { key -> HTML in
                let values = runs.map { value($0, key) ?? "" }
                let differs = Set(values).count > 1
                let cells = values.map { v -> HTML in "<td>\(v)</td>" }
                return "<tr\(differs ? HTML(" class=\"differs\"") : "")><th>\(key)</th>\(cells)</tr>"
            }
            return """
                <h2>\(title)</h2><section class="scroll"><table><thead><tr><th></th>\(heads)</tr></thead>
                <tbody>\(rows)</tbody></table></section>
                """
        }
        let paramKeys = Set(runs.flatMap(\.params.keys)).sorted()
        let metricKeys = Set(runs.flatMap { $0.metrics.map(\.key) }).sorted()
        let charts = try metricKeys.prefix(Self.maxCharts).map { key in
            try chart(key: key, runs: runs.map { ($0.id, $0.name) }).html
        }
        return gate.render(
            ConsolePage(
                title: "Comparing \(runs.count) runs",
                body: """
                    \(table("Parameters", paramKeys) { $0.params[$1] })
                    \(table("Latest metrics", metricKeys) { run, key in
                        run.metrics.first { $0.key == key }.map { Format.number($0.value) } })
                    <h2>Metric histories</h2><div class="grid">\(charts)</div>
                    """), for: viewer)
    }

    /// One metric's histories, each sampled to `chartPoints` in Postgres.
    private func chart(key: String, runs: [(id: String, name: String)]) throws -> LineChart {
        let points = try tracking.metricHistoryBulkInterval(
            runIDs: runs.map(\.id), key: key, steps: nil, maxResults: Self.chartPoints)
        return LineChart(
            title: key,
            series: runs.map { run in
                LineChart.Series(
                    name: run.name,
                    points: points.filter { $0.runID == run.id }.map { (Double($0.point.step), $0.point.value) })
            })
    }

    func run(_ request: Request, _ viewer: Viewer) throws -> Response {
        let run = try tracking.run(id: try request.parameter("id"))
        let experiment = try tracking.experiment(id: run.experimentID)
        let dataset = try registry.datasets.trainedOn(runID: run.id)
        let versions = try registry.pool.withConnection { c in
            try registry.models.versions(
                c, where: "v.run_id = \(run.id)", order: "m.name, v.version DESC", limit: 100, offset: 0)
        }
        let files = try registry.pool.withConnection { try registry.artifacts.files($0, under: run.artifactPrefix) }
        var facts: [(String, HTML)] = [
            ("Run id", "<code>\(run.id)</code>"),
            ("Experiment", "<a href=\"\(Link.path("experiments", experiment.id))\">\(experiment.name)</a>"),
            ("Status", HTML.badge(run.status.rawValue)),
            ("User", "\(run.userID)"), ("Started", "\(Format.time(millis: run.startTime))")
        ]
        if let end = run.endTime {
            facts.append(
                (
                    "Ended",
                    "\(Format.time(millis: end)) (\(Format.duration(seconds: Double(end - run.startTime) / 1000)))"
                ))
        }
        if let dataset {
            facts.append(("Dataset", HTML.link(to: dataset)))
        }
        if let parent = run.parentRunID {
            facts.append(("Parent run", "<a href=\"\(Link.path("runs", parent))\">\(parent)</a>"))
        }
        if let job = run.jobName { facts.append(("Job", "<code>\(job)</code>")) }
        if let reason = run.failureReason { facts.append(("Failure", "\(reason)")) }
        let produced = versions.map { v -> HTML in
            """
            <li><a href="\(Link.path("models", v.modelName, "versions", v.version))">\(v.modelName) v\(v.version)</a> \
            \(HTML.badge(v.stage.rawValue))</li>
            """
        }
        let metricKeys = run.metrics.map(\.key).sorted()
        let charts = try metricKeys.prefix(Self.maxCharts).map { key in
            try chart(key: key, runs: [(run.id, run.name)]).html
        }
        let latest = run.metrics.sorted { $0.key < $1.key }.map { m -> HTML in
            "<tr><th>\(m.key)</th><td class=\"num\">\(Format.number(m.value))</td><td class=\"num\">\(m.step)</td></tr>"
        }
        let artifacts = files.prefix(500).map { file -> HTML in
            let relative = String(file.path.dropFirst(run.artifactPrefix.count + 1))
            let href =
                Link.path("runs", run.id, "artifacts") + "/"
                + relative.split(separator: "/").map { Link.encode(String($0)) }.joined(separator: "/")
            return "<tr><td><a href=\"\(href)\" download>\(relative)</a></td><td class=\"num\">\(file.size)</td></tr>"
        }
        return gate.render(
            ConsolePage(
                title: "Run \(run.name.isEmpty ? run.id : run.name)",
                body: """
                    <section>\(HTML.facts(facts))</section>
                    <div class="grid">
                    <section><h2>Parameters</h2>\(HTML.keyValues(run.params))</section>
                    <section><h2>Tags</h2>\(HTML.keyValues(run.tags))</section>
                    </div>
                    <section><h2>Metrics</h2><div class="scroll"><table><thead><tr><th>Key</th><th class="num">Latest\
                    </th><th class="num">Step</th></tr></thead><tbody>\(latest)</tbody></table></div>
                    <div class="grid">\(charts)</div></section>
                    <section><h2>Model versions it produced</h2>\(HTML.listing(produced, none: "none"))</section>
                    <section><h2>Artifacts</h2>\(HTML.listing(artifacts, none: "none") { rows in
                        "<div class=\"scroll\"><table><thead><tr><th>Path</th><th class=\"num\">Bytes</th></tr></thead>"
                            + "<tbody>\(rows)</tbody></table></div>"
                    })</section>
                    """), for: viewer)
    }

    /// An artifact's bytes, as a download (never rendered as a page of this site).
    func artifact(_ request: Request, _ viewer: Viewer) throws -> Response {
        let run = try tracking.run(id: try request.parameter("id"))
        let relative = try ArtifactStore.normalize(try request.parameter("path"))
        guard let stored = try registry.artifacts.lookup(registry.pool, path: "\(run.artifactPrefix)/\(relative)")
        else { throw RegistryError.notFound("no artifact \(relative) in run \(run.id)") }
        let name = relative.split(separator: "/").last.map(String.init) ?? "artifact"
        return Response(
            status: 200,
            headers: [
                "Content-Type": "application/octet-stream", "X-Content-Type-Options": "nosniff",
                "Content-Disposition": "attachment; filename*=UTF-8''\(Link.encode(name))",
                "Content-Security-Policy": "default-src 'none'; sandbox"
            ], body: .file(path: stored.url.path, size: Int(stored.size)))
    }

    // MARK: Datasets

    func datasets(_ request: Request, _ viewer: Viewer) throws -> Response {
        let page = try registry.datasets.list(name: nil, limit: 100, pageToken: request.query["page"])
        let rows = page.items.map { d -> HTML in
            """
            <tr><td>\(HTML.link(to: d))</td><td class="num" data-label="rows">\(d.rows)</td>
            <td data-label="sha256"><code>\(d.sha256.prefix(16))…</code></td>
            <td data-label="validation">\(HTML.verdict(d.validation.passed))</td>
            <td data-label="registered">\(Format.time(d.createdAt))</td></tr>
            """
        }
        let next: HTML =
            page.nextPageToken.map {
                "<nav class=\"pager\"><a href=\"\(Link.query("/datasets", [("page", $0)]))\">Next page</a></nav>"
            } ?? ""
        return gate.render(
            ConsolePage(
                title: "Datasets",
                body: """
                    <section class="scroll"><table class="stack"><thead><tr><th>Version</th><th class="num">Rows</th>
                    <th>Digest</th><th>Validation</th><th>Registered</th></tr></thead><tbody>\(rows)</tbody></table>
                    </section>\(next)
                    """), for: viewer)
    }

    func dataset(_ request: Request, _ viewer: Viewer) throws -> Response {
        let d = try registry.datasets.dataset(
            name: try request.parameter("name"), version: try request.parameter("version"))
        let lineage = try registry.datasets.lineage(of: d.id)
        let report = d.validation
        let unknown = report.unknownLabels.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
            .joined(separator: ", ")
        var facts: [(String, HTML)] = [
            ("URI", "<code>\(d.uri)</code>"), ("SHA-256", "<code>\(d.sha256)</code>"), ("Rows", "\(d.rows)"),
            ("Registered", "\(Format.time(d.createdAt))")
        ]
        if let parent = d.parentID, let built = try? registry.datasets.dataset(id: parent) {
            facts.append(("Built from", HTML.link(to: built)))
        }
        let messages = (report.errors.map { ("error", $0) } + report.warnings.map { ("warning", $0) }).map {
            kind, text -> HTML in
            "<li>\(HTML.badge(kind, style: kind == "error" ? "fail" : "pending")) \(text)</li>"
        }
        let labels = Bars(
            title: "Label counts", items: d.labelCounts.sorted { $0.key < $1.key }.map { ($0.key, Double($0.value)) })
        let profile = (d.profile?.features ?? [:]).sorted { $0.key < $1.key }.map { name, feature -> HTML in
            let bins = feature.shares.enumerated().map { index, share in
                (label: Self.binLabel(feature.edges, index), value: share)
            }
            return """
                <div>\(Bars(title: name, items: bins).html)
                <p class="muted">n \(feature.n) · mean \(Format.number(feature.mean)) · \
                min \(Format.number(feature.min)) \
                · max \(Format.number(feature.max))</p></div>
                """
        }
        let derived = lineage.derived.map { label -> HTML in
            let parts = label.split(separator: "@", maxSplits: 1).map(String.init)
            return
                "<li><a href=\"\(Link.path("datasets", parts[0], parts.count > 1 ? parts[1] : ""))\">\(label)</a></li>"
        }
        let trained = lineage.trainedBy.map { use -> HTML in
            let version: HTML =
                use.model.map { model in
                    use.version.map {
                        " → <a href=\"\(Link.path("models", model, "versions", $0))\">\(model) v\($0)</a>"
                    }
                        ?? ""
                } ?? ""
            return "<li><a href=\"\(Link.path("runs", use.runID))\">run \(use.runID)</a>\(version)</li>"
        }
        return gate.render(
            ConsolePage(
                title: "Dataset \(d.label)",
                body: """
                    <section>\(HTML.facts(facts))</section>
                    <section><h2>Validation \(HTML.verdict(report.passed))</h2>
                    \(HTML.facts([("Rows", "\(report.rows)"), ("Empty texts", "\(report.emptyTexts)"),
                        ("Duplicates", "\(report.duplicates)"),
                        ("Largest label share", "\(Format.percent(report.largestLabelShare))"),
                        ("Unknown labels", "\(unknown)")]))
                    \(HTML.listing(messages, none: "no errors or warnings"))
                    \(labels.html)</section>
                    <section><h2>Reference profile</h2>\(HTML.listing(profile, none: "none stored") {
                        "<div class=\"grid\">\($0)</div>"
                    })</section>
                    <section><h2>Lineage</h2><h3>Versions built from it</h3>\(HTML.listing(derived, none: "none"))
                    <h3>Runs trained on it</h3>\(HTML.listing(trained, none: "none"))</section>
                    """), for: viewer)
    }

    static func binLabel(_ edges: [Double], _ index: Int) -> String {
        guard edges.count > index + 1 else { return "bin \(index + 1)" }
        return "\(Format.number(edges[index]))–\(Format.number(edges[index + 1]))"
    }

    // MARK: Audit

    func audit(_ request: Request, _ viewer: Viewer) throws -> Response {
        let offset = try request.queryInt("offset", default: 0, range: 0...10_000_000)
        let prefix = request.query["target"].flatMap { $0.isEmpty ? nil : $0 }
        let entries = try AuditLog.entries(registry.pool, targetPrefix: prefix, limit: 100, offset: offset)
        let rows = entries.map { e -> HTML in
            """
            <tr><td data-label="at">\(Format.time(e.at))</td><td data-label="actor">\(e.actor)</td>
            <td data-label="action"><code>\(e.action)</code></td><td data-label="target">\(e.target)</td>
            <td data-label="request"><code>\(e.requestID)</code></td></tr>
            """
        }
        let older = Link.query("/audit", [("target", prefix), ("offset", "\(offset + 100)")])
        let next: HTML =
            entries.count == 100 ? "<nav class=\"pager\"><a href=\"\(older)\">Older</a></nav>" : ""
        return gate.render(
            ConsolePage(
                title: "Audit log",
                body: """
                    <form class="filter" method="get" action="/audit"><input type="search" name="target" \
                    value="\(prefix)" aria-label="target prefix" placeholder="target prefix, e.g. model:sentiment">
                    <button type="submit">Filter</button></form>
                    <section class="scroll"><table class="stack"><thead><tr><th>At</th><th>Actor</th><th>Action</th>
                    <th>Target</th><th>Request</th></tr></thead><tbody>\(rows)</tbody></table></section>\(next)
                    """), for: viewer)
    }
}

extension HTML {
    /// A dataset version's page, named `name@version` (the model pages link to it too).
    public static func link(to d: Dataset) -> HTML {
        "<a href=\"\(Link.path("datasets", d.name, d.version))\">\(d.label)</a>"
    }
}
