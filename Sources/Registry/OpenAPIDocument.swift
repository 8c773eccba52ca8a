import Foundation

/// The OpenAPI 3 description of the native API, served at `/openapi.json`.
enum OpenAPIDocument {
    static let data = Data(text.utf8)

    static let text = #"""
    {"openapi": "3.0.3", "info": {"title": "Steward", "version": "0.1.0"}, "paths": {}}
    """#
}
