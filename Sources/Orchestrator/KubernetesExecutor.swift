import Foundation

/// Training runs as `batch/v1` Jobs on the GPU pool. The Job name comes from
/// the run id, so a retried submission finds the Job it already made
/// ("AlreadyExists" is success).
public final class KubernetesExecutor: Executor, @unchecked Sendable {
    public struct Template: Sendable {
        public var image: String
        public var command: [String] = ["python", "-m", "steward_training.entrypoint"]
        public var workingDirectory = "/app/training"
        /// The Secret (and key) holding the tracking token the trainer logs with.
        public var tokenSecret = "steward-training-token"
        public var tokenSecretKey = "token"
        public var gpus = 1
        public var cpu = "4"
        public var memory = "16Gi"
        public var nodeSelector: [String: String] = ["steward.dev/pool": "gpu"]
        public var tolerations: [[String: String]] = [
            ["key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"]
        ]
        public var backoffLimit = 1
        public var activeDeadlineSeconds = 6 * 3600
        public var ttlSecondsAfterFinished = 24 * 3600
        public var serviceAccount = "steward-training"
        public init(image: String) { self.image = image }
    }

    public let kind = "kubernetes"
    let client: KubernetesClient
    let template: Template

    public init(client: KubernetesClient, template: Template) {
        self.client = client
        self.template = template
    }

    var jobs: String { "/apis/batch/v1/namespaces/\(client.namespace)/jobs" }

    /// The Job for a run; the tracking token comes from a Secret, never inline.
    public func manifest(_ job: TrainingJob) -> [String: Any] {
        let labels = [
            "app.kubernetes.io/name": "steward-training", "app.kubernetes.io/managed-by": "steward",
            "steward.dev/run-id": String(job.runID.prefix(63)), "steward.dev/model": Self.labelValue(job.modelName)
        ]
        var env: [[String: Any]] = job.environment.filter { $0.key != "MLFLOW_TRACKING_TOKEN" }.keys.sorted().map {
            ["name": $0, "value": job.environment[$0]!]
        }
        env.append([
            "name": "MLFLOW_TRACKING_TOKEN",
            "valueFrom": ["secretKeyRef": ["name": template.tokenSecret, "key": template.tokenSecretKey]]
        ])
        var limits: [String: Any] = ["cpu": template.cpu, "memory": template.memory]
        if template.gpus > 0 { limits["nvidia.com/gpu"] = String(template.gpus) }
        let container: [String: Any] = [
            "name": "train", "image": template.image, "command": template.command,
            "workingDir": template.workingDirectory,
            "env": env, "resources": ["requests": ["cpu": template.cpu, "memory": template.memory], "limits": limits],
            "securityContext": [
                "runAsNonRoot": true, "allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]]
            ]
        ]
        return [
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": ["name": job.name, "namespace": client.namespace, "labels": labels],
            "spec": [
                "backoffLimit": template.backoffLimit, "activeDeadlineSeconds": template.activeDeadlineSeconds,
                "ttlSecondsAfterFinished": template.ttlSecondsAfterFinished,
                "template": [
                    "metadata": ["labels": labels],
                    "spec": [
                        "restartPolicy": "Never", "serviceAccountName": template.serviceAccount,
                        "nodeSelector": template.nodeSelector, "tolerations": template.tolerations,
                        "containers": [container]
                    ] as [String: Any]
                ] as [String: Any]
            ] as [String: Any]
        ]
    }

    /// Label values: at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends.
    static func labelValue(_ text: String) -> String {
        let cleaned = String(
            text.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" }.prefix(63))
        return cleaned.trimmingCharacters(in: CharacterSet(charactersIn: "._-"))
    }

    public func submit(_ job: TrainingJob) throws {
        do {
            _ = try client.create(jobs, manifest(job))
        } catch let error as KubernetesError where error.reason == "AlreadyExists" {
            // Made by an earlier attempt whose database update did not happen: carry on with it.
        }
    }

    public func state(of job: TrainingJob) throws -> JobState {
        let object: [String: Any]
        do {
            object = try client.get("\(jobs)/\(job.name)")
        } catch let error as KubernetesError where error.code == 404 {
            return .missing
        }
        let status = object["status"] as? [String: Any] ?? [:]
        for condition in status["conditions"] as? [[String: Any]] ?? [] where condition["status"] as? String == "True" {
            switch condition["type"] as? String {
            case "Complete", "SuccessCriteriaMet": return .succeeded
            case "Failed", "FailureTarget":
                let reason = condition["reason"] as? String ?? "Failed"
                let detail = try podFailure(job) ?? (condition["message"] as? String ?? "")
                return .failed(
                    reason: reason == "DeadlineExceeded" ? "deadline exceeded: \(detail)" : "\(reason): \(detail)")
            default: continue
            }
        }
        if (status["active"] as? Int ?? 0) > 0 {
            // A pod that cannot start is a failure to report, not a run in progress.
            if let stuck = try podFailure(job),
                stuck.hasPrefix("ImagePull") || stuck.hasPrefix("ErrImagePull") || stuck.hasPrefix("InvalidImageName")
            {
                return .failed(reason: stuck)
            }
            return .running
        }
        return .pending
    }

    /// Why the Job's pod failed or cannot start: image pull errors, OOMKilled, eviction.
    func podFailure(_ job: TrainingJob) throws -> String? {
        let pods = try client.list("/api/v1/namespaces/\(client.namespace)/pods", labelSelector: "job-name=\(job.name)")
        for pod in pods["items"] as? [[String: Any]] ?? [] {
            let status = pod["status"] as? [String: Any] ?? [:]
            if status["reason"] as? String == "Evicted" { return "Evicted: \(status["message"] as? String ?? "")" }
            for container in status["containerStatuses"] as? [[String: Any]] ?? [] {
                let state = container["state"] as? [String: Any] ?? [:]
                if let waiting = state["waiting"] as? [String: Any], let reason = waiting["reason"] as? String,
                    ["ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CreateContainerConfigError"].contains(
                        reason)
                {
                    return "\(reason): \(waiting["message"] as? String ?? "")"
                }
                if let terminated = state["terminated"] as? [String: Any], let reason = terminated["reason"] as? String,
                    reason != "Completed"
                {
                    let message =
                        terminated["message"] as? String ?? "exit code \(terminated["exitCode"] as? Int ?? -1)"
                    return "\(reason): \(message)"
                }
            }
        }
        return nil
    }

    public func cancel(_ job: TrainingJob) throws {
        do {
            try client.delete("\(jobs)/\(job.name)")
        } catch let error as KubernetesError where error.code == 404 {
            // Already gone.
        }
    }

    public func logs(of job: TrainingJob, tail: Int) throws -> String {
        let pods = try client.list("/api/v1/namespaces/\(client.namespace)/pods", labelSelector: "job-name=\(job.name)")
        guard let pod = (pods["items"] as? [[String: Any]])?.last,
            let name = (pod["metadata"] as? [String: Any])?["name"] as? String
        else {
            return ""
        }
        do {
            return try client.logs(namespace: client.namespace, pod: name, tailLines: tail)
        } catch let error as KubernetesError where error.code == 400 || error.code == 404 {
            // The container has not started yet (400), or the pod went away since the list (404):
            // no logs to show, as for a local run that wrote none.
            return ""
        }
    }
}
