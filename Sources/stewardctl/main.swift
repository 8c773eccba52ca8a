import Foundation
import HTTPKit

func failUsage(_ message: String) -> Never {
    FileHandle.standardError.write(Data("stewardctl: \(message)\n".utf8))
    exit(2)
}

let arguments: Arguments
do {
    arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
} catch {
    failUsage(error.description)
}
if arguments.switches.contains("help") || arguments.words.isEmpty {
    print(Command.help)
    exit(arguments.words.isEmpty && !arguments.switches.contains("help") ? 2 : 0)
}
let settings = Settings(arguments)
let token = settings.token
let client = HTTPClient(
    configuration: .init(
        baseURL: settings.url, bearerToken: token.map { value in { @Sendable in value } },
        retry: RetryPolicy(maxAttempts: 3), userAgent: "stewardctl"))
do {
    exit(try Command(arguments: arguments, client: client).run())
} catch let error as UsageError {
    failUsage(error.description)
} catch let error as HTTPStatusError {
    FileHandle.standardError.write(Data("stewardctl: \(error.message) (HTTP \(error.status))\n".utf8))
    exit(1)
} catch {
    FileHandle.standardError.write(Data("stewardctl: \(error)\n".utf8))
    exit(1)
}
