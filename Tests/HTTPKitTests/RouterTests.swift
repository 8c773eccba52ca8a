import HTTPKit
import Testing

@Suite struct RouterTests {
    func router() -> Router {
        var router = Router()
        let ok: Handler = .blocking { _ in .text("ok") }
        router.add(.GET, "/api/v1/runs", ok)
        router.add(.POST, "/api/v1/runs", ok)
        router.add(.GET, "/api/v1/runs/{id}", ok)
        router.add(.GET, "/api/v1/runs/search", ok)
        router.add(.GET, "/api/v1/runs/{id}/metrics/{key}", ok)
        router.add(.PUT, "/artifacts/{path...}", ok)
        return router
    }

    func pattern(_ match: Router.Match) -> String? {
        if case .found(let route, _) = match { return route.pattern }
        return nil
    }

    @Test func staticSegmentsWinOverParameters() {
        #expect(pattern(router().match(.GET, "/api/v1/runs/search")) == "/api/v1/runs/search")
        #expect(pattern(router().match(.GET, "/api/v1/runs/abc")) == "/api/v1/runs/{id}")
    }

    @Test func parametersAreCaptured() throws {
        guard case .found(_, let parameters) = router().match(.GET, "/api/v1/runs/r1/metrics/loss") else {
            Issue.record("no match")
            return
        }
        #expect(parameters == ["id": "r1", "key": "loss"])
    }

    @Test func restParameterTakesTheRemainingPath() {
        guard case .found(_, let parameters) = router().match(.PUT, "/artifacts/a/b/c.txt") else {
            Issue.record("no match")
            return
        }
        #expect(parameters["path"] == "a/b/c.txt")
    }

    @Test func unknownPathIsNotFoundAndWrongMethodListsTheAllowedOnes() {
        guard case .notFound = router().match(.GET, "/api/v2/runs") else {
            Issue.record("expected notFound")
            return
        }
        guard case .methodNotAllowed(let allowed) = router().match(.DELETE, "/api/v1/runs") else {
            Issue.record("expected methodNotAllowed")
            return
        }
        #expect(Set(allowed) == [.GET, .POST])
    }

    @Test func headIsAnsweredByGet() {
        #expect(pattern(router().match(.HEAD, "/api/v1/runs")) == "/api/v1/runs")
    }

    @Test func trailingSlashAndEmptySegments() {
        #expect(pattern(router().match(.GET, "/api/v1/runs/")) == "/api/v1/runs")
        guard case .notFound = router().match(.GET, "/api/v1/runs//metrics/x") else {
            Issue.record("empty id matched")
            return
        }
    }
}
