import Digest
import Foundation
import HTTPKit
import Postgres
import Synchronization

/// Shared input rules.
enum Validation {
    /// 1-128 ASCII letters, digits, '.', '_' or '-'; never "." or ".." (names become path segments).
    static func isName(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count) && text != "." && text != ".."
            && text.utf8.allSatisfy { c in
                (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || c == 0x2E
                    || c == 0x5F || c == 0x2D
            }
    }
}
