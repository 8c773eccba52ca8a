import ConsoleKit
import Foundation
import HTTPKit
import Testing

@Suite struct HTMLTests {
    @Test func interpolatedValuesAreEscapedInTextAndAttributes() {
        let name = #"<script>alert("x")</script> & 'quoted'"#
        let html: HTML = "<a title=\"\(name)\">\(name)</a>"
        #expect(
            html.text
                == "<a title=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;\">"
                + "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;</a>")
    }

    @Test func fragmentsComposeWithoutBeingEscapedTwice() {
        let inner: HTML = "<b>\("a<b")</b>"
        let outer: HTML = "<p>\(inner)\([inner, inner])\(Optional<String>.none)</p>"
        #expect(outer.text == "<p><b>a&lt;b</b><b>a&lt;b</b><b>a&lt;b</b></p>")
    }

    @Test func chartsEscapeTheirNamesAndDrawTheThreshold() {
        let chart = LineChart(
            title: "<img src=x onerror=alert(1)>",
            series: [.init(name: "\"run\"", points: [(0, 0.1), (1, 0.4)])], threshold: 0.25)
        let text = chart.html.text
        #expect(!text.contains("<img"))
        #expect(text.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(text.contains("class=\"threshold\""))
        #expect(text.contains("&quot;run&quot;"))
    }
}

@Suite struct LinkTests {
    @Test func segmentsStayOneSegmentAndLeaveNothingToTheBrowser() {
        #expect(Link.path("models", "a/../b?c#d", 3) == "/models/a%2F..%2Fb%3Fc%23d/3")
        #expect(Link.path("models", "été") == "/models/%C3%A9t%C3%A9")
        #expect(Link.query("/x", [("filter", "a = 'b c'&"), ("page", nil)]) == "/x?filter=a%20%3D%20%27b%20c%27%26")
    }

    @Test func signInSendsTheBrowserOnlyToThisSite() {
        #expect(Link.localPath("/runs/abc?x=1") == "/runs/abc?x=1")
        for hostile in ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", nil] {
            #expect(Link.localPath(hostile) == "/")
        }
    }
}

@Suite struct FormBodyTests {
    @Test func decodesABrowsersForm() throws {
        let request = Request(
            method: .POST, path: "/login", body: Data("token=stw_a%2Bb&next=%2Fruns%2F1&reason=roll+back&token=x".utf8))
        let form = try FormBody(request)
        #expect(form["token"] == "stw_a+b")
        #expect(form["next"] == "/runs/1")
        #expect(form["reason"] == "roll back")
        #expect(throws: HTTPError.self) { try form.required("missing") }
    }

    @Test func refusesMalformedEncoding() {
        let request = Request(method: .POST, path: "/login", body: Data("token=%zz".utf8))
        #expect(throws: HTTPError.self) { try FormBody(request) }
    }

    @Test func readsCookies() {
        let request = Request(
            method: .GET, path: "/", headers: ["Cookie": "a=1; steward_session=abc ; b=2"])
        #expect(request.cookie("steward_session") == "abc")
        #expect(request.cookie("c") == nil)
    }
}

@Suite struct LayoutTests {
    @Test func aPageIsFramedWithItsSecurityHeadersAndTheSlotsStayApart() throws {
        let layout = try ConsoleLayout()
        let response = layout.render(
            ConsolePage(title: "{{body}} <x>", body: "<p>hi</p>"), nav: "<a href=\"/\">Models</a>")
        guard case .bytes(let data) = response.body else {
            Issue.record("no body")
            return
        }
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("<title>{{body}} &lt;x&gt; · Steward</title>"))
        #expect(text.components(separatedBy: "<p>hi</p>").count == 2)
        #expect(response.headers["Content-Security-Policy"]?.contains("script-src 'self'") == true)
        #expect(response.headers["Content-Security-Policy"]?.contains("unsafe-inline") == false)
        #expect(response.headers["Content-Type"] == "text/html; charset=utf-8")
    }
}
