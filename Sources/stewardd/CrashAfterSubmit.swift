import Foundation
import Orchestrator

/// Test-only fault injection (STEWARD_TEST_CRASH_AFTER_SUBMIT): dies the
/// instant a job has been created, before the run's row says so, to prove the
/// next leader neither loses nor duplicates the job.
struct CrashAfterSubmit: Executor {
    let inner: any Executor
    init(_ inner: any Executor) { self.inner = inner }
    var kind: String { inner.kind }
    func submit(_ job: TrainingJob) throws {
        try inner.submit(job)
        FileHandle.standardError.write(
            Data("stewardd: crashing after submitting \(job.name) (STEWARD_TEST_CRASH_AFTER_SUBMIT)\n".utf8))
        _exit(137)
    }
    func state(of job: TrainingJob) throws -> JobState { try inner.state(of: job) }
    func cancel(_ job: TrainingJob) throws { try inner.cancel(job) }
    func logs(of job: TrainingJob, tail: Int) throws -> String { try inner.logs(of: job, tail: tail) }
}
