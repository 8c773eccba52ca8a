import Foundation
import Postgres

/// Steward's database schema: the migrations shipped with this build.
public enum Schema {
    /// The migrator for every migration in this build, in order.
    public static func migrator() throws -> Migrator {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw MigrationError.badFileName("Migrations resource folder missing from the build")
        }
        return try Migrator(migrations: Migrator.load(directory: directory))
    }
}
