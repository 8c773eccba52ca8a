import Foundation

/// The OpenAPI 3 description of the native API, served at `/openapi.json`.
/// Kept by hand beside NativeAPI, OrchestratorAPI, RolloutAPI and MonitorAPI;
/// `tests/registry/test_openapi.py` runs schemathesis against it, so a drift
/// between the document and the handlers fails the tests.
enum OpenAPIDocument {
    static let data = Data(text.utf8)

    static let text = #"""
{
 "openapi": "3.0.3",
 "info": {
  "title": "Steward native API",
  "version": "1.0.0",
  "description": "Registry (datasets, experiments, runs, models, versions, stages, aliases, audit, tokens), training runs and promotion policies, canary rollouts, drift, feedback and alerts. Errors are {\"error\": {\"code\", \"message\"}}. Every call needs a bearer token: viewer reads, operator writes, admin manages tokens and the audit log. MLflow's protocol is served beside it under /api/2.0/mlflow (see docs/mlflow-protocol.md)."
 },
 "servers": [
  {
   "url": "/"
  }
 ],
 "security": [
  {
   "bearer": []
  }
 ],
 "components": {
  "securitySchemes": {
   "bearer": {
    "type": "http",
    "scheme": "bearer"
   }
  },
  "schemas": {
   "Error": {
    "type": "object",
    "required": [
     "error"
    ],
    "properties": {
     "error": {
      "type": "object",
      "required": [
       "code",
       "message"
      ],
      "properties": {
       "code": {
        "type": "string"
       },
       "message": {
        "type": "string"
       }
      }
     }
    }
   },
   "Experiment": {
    "type": "object",
    "required": [
     "id",
     "name",
     "artifact_location",
     "lifecycle_stage",
     "tags",
     "creation_time",
     "last_update_time"
    ],
    "properties": {
     "id": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "artifact_location": {
      "type": "string"
     },
     "lifecycle_stage": {
      "type": "string",
      "enum": [
       "active",
       "deleted"
      ]
     },
     "tags": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "creation_time": {
      "type": "integer"
     },
     "last_update_time": {
      "type": "integer"
     }
    }
   },
   "Metric": {
    "type": "object",
    "required": [
     "key",
     "value",
     "step",
     "timestamp"
    ],
    "properties": {
     "key": {
      "type": "string"
     },
     "value": {
      "oneOf": [
       {
        "type": "number"
       },
       {
        "type": "string",
        "enum": [
         "NaN",
         "Infinity",
         "-Infinity"
        ]
       }
      ]
     },
     "step": {
      "type": "integer"
     },
     "timestamp": {
      "type": "integer"
     }
    }
   },
   "Run": {
    "type": "object",
    "required": [
     "id",
     "experiment_id",
     "name",
     "status",
     "lifecycle_stage",
     "user_id",
     "start_time",
     "artifact_uri",
     "params",
     "tags",
     "metrics"
    ],
    "properties": {
     "id": {
      "type": "string"
     },
     "experiment_id": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "status": {
      "type": "string",
      "enum": [
       "QUEUED",
       "SCHEDULED",
       "SUBMITTED",
       "RUNNING",
       "FINISHED",
       "FAILED",
       "KILLED"
      ]
     },
     "lifecycle_stage": {
      "type": "string"
     },
     "user_id": {
      "type": "string"
     },
     "start_time": {
      "type": "integer"
     },
     "end_time": {
      "type": "integer",
      "nullable": true
     },
     "artifact_uri": {
      "type": "string"
     },
     "dataset_id": {
      "type": "integer",
      "nullable": true
     },
     "parent_run_id": {
      "type": "string",
      "nullable": true
     },
     "job_name": {
      "type": "string",
      "nullable": true
     },
     "failure_reason": {
      "type": "string",
      "nullable": true
     },
     "params": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "tags": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "metrics": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Metric"
      }
     }
    }
   },
   "ModelVersion": {
    "type": "object",
    "required": [
     "model",
     "version",
     "stage",
     "status",
     "source",
     "description",
     "metrics",
     "aliases",
     "tags",
     "creation_time",
     "last_update_time"
    ],
    "properties": {
     "model": {
      "type": "string"
     },
     "version": {
      "type": "integer"
     },
     "stage": {
      "type": "string",
      "enum": [
       "None",
       "Staging",
       "Production",
       "Archived"
      ]
     },
     "status": {
      "type": "string"
     },
     "source": {
      "type": "string"
     },
     "run_id": {
      "type": "string",
      "nullable": true
     },
     "description": {
      "type": "string"
     },
     "artifact_sha256": {
      "type": "string",
      "nullable": true
     },
     "metrics": {
      "type": "object",
      "additionalProperties": {
       "type": "number"
      }
     },
     "aliases": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "tags": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "creation_time": {
      "type": "integer"
     },
     "last_update_time": {
      "type": "integer"
     }
    }
   },
   "RegisteredModel": {
    "type": "object",
    "required": [
     "id",
     "name",
     "description",
     "tags",
     "aliases",
     "latest_versions",
     "creation_time",
     "last_update_time"
    ],
    "properties": {
     "id": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "description": {
      "type": "string"
     },
     "tags": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "policy": {
      "type": "string",
      "nullable": true
     },
     "aliases": {
      "type": "object",
      "additionalProperties": {
       "type": "integer"
      }
     },
     "latest_versions": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/ModelVersion"
      }
     },
     "creation_time": {
      "type": "integer"
     },
     "last_update_time": {
      "type": "integer"
     }
    }
   },
   "ValidationReport": {
    "type": "object",
    "required": [
     "passed",
     "rows",
     "empty_texts",
     "unknown_labels",
     "duplicates",
     "label_counts",
     "largest_label_share",
     "errors",
     "warnings"
    ],
    "properties": {
     "passed": {
      "type": "boolean"
     },
     "rows": {
      "type": "integer"
     },
     "empty_texts": {
      "type": "integer"
     },
     "unknown_labels": {
      "type": "object",
      "additionalProperties": {
       "type": "integer"
      }
     },
     "duplicates": {
      "type": "integer"
     },
     "label_counts": {
      "type": "object",
      "additionalProperties": {
       "type": "integer"
      }
     },
     "largest_label_share": {
      "type": "number"
     },
     "errors": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "warnings": {
      "type": "array",
      "items": {
       "type": "string"
      }
     }
    }
   },
   "Dataset": {
    "type": "object",
    "required": [
     "id",
     "name",
     "version",
     "uri",
     "sha256",
     "rows",
     "label_counts",
     "validation",
     "created_at"
    ],
    "properties": {
     "id": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "version": {
      "type": "string"
     },
     "uri": {
      "type": "string"
     },
     "sha256": {
      "type": "string"
     },
     "rows": {
      "type": "integer"
     },
     "label_counts": {
      "type": "object",
      "additionalProperties": {
       "type": "integer"
      }
     },
     "validation": {
      "$ref": "#/components/schemas/ValidationReport"
     },
     "profile": {
      "type": "object",
      "nullable": true,
      "description": "Reference profile: per feature, quantile bin edges and shares (see docs/drift.md)."
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     }
    }
   },
   "AuditEntry": {
    "type": "object",
    "required": [
     "id",
     "at",
     "actor",
     "action",
     "target"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "at": {
      "type": "string",
      "format": "date-time"
     },
     "actor": {
      "type": "string"
     },
     "action": {
      "type": "string"
     },
     "target": {
      "type": "string"
     },
     "request_id": {
      "type": "string",
      "nullable": true
     }
    }
   },
   "Token": {
    "type": "object",
    "required": [
     "name",
     "role",
     "created_at",
     "created_by",
     "revoked"
    ],
    "properties": {
     "name": {
      "type": "string"
     },
     "role": {
      "type": "string",
      "enum": [
       "viewer",
       "operator",
       "admin"
      ]
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "created_by": {
      "type": "string"
     },
     "revoked": {
      "type": "boolean"
     }
    }
   },
   "CreatedToken": {
    "type": "object",
    "required": [
     "name",
     "role",
     "token"
    ],
    "properties": {
     "name": {
      "type": "string"
     },
     "role": {
      "type": "string",
      "enum": [
       "viewer",
       "operator",
       "admin"
      ]
     },
     "token": {
      "type": "string",
      "description": "The secret; shown once."
     }
    }
   },
   "ExperimentPage": {
    "type": "object",
    "required": [
     "items"
    ],
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Experiment"
      }
     },
     "next_page_token": {
      "type": "string",
      "nullable": true
     }
    }
   },
   "RunPage": {
    "type": "object",
    "required": [
     "items"
    ],
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Run"
      }
     },
     "next_page_token": {
      "type": "string",
      "nullable": true
     }
    }
   },
   "MetricPage": {
    "type": "object",
    "required": [
     "items"
    ],
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Metric"
      }
     },
     "next_page_token": {
      "type": "string",
      "nullable": true
     }
    }
   },
   "RegisteredModelPage": {
    "type": "object",
    "required": [
     "items"
    ],
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/RegisteredModel"
      }
     },
     "next_page_token": {
      "type": "string",
      "nullable": true
     }
    }
   },
   "ModelVersionPage": {
    "type": "object",
    "required": [
     "items"
    ],
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/ModelVersion"
      }
     },
     "next_page_token": {
      "type": "string",
      "nullable": true
     }
    }
   },
   "DatasetPage": {
    "type": "object",
    "required": [
     "items"
    ],
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Dataset"
      }
     },
     "next_page_token": {
      "type": "string",
      "nullable": true
     }
    }
   },
   "AuditEntryPage": {
    "type": "object",
    "required": [
     "items"
    ],
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/AuditEntry"
      }
     },
     "next_page_token": {
      "type": "string",
      "nullable": true
     }
    }
   },
   "TokenPage": {
    "type": "object",
    "required": [
     "items"
    ],
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Token"
      }
     },
     "next_page_token": {
      "type": "string",
      "nullable": true
     }
    }
   },
   "VersionFiles": {
    "type": "object",
    "required": [
     "model",
     "version",
     "files"
    ],
    "properties": {
     "model": {
      "type": "string"
     },
     "version": {
      "type": "integer"
     },
     "artifact_sha256": {
      "type": "string",
      "description": "Omitted when the version has no digest."
     },
     "files": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "path",
        "sha256",
        "size",
        "url"
       ],
       "properties": {
        "path": {
         "type": "string",
         "description": "Relative to the version's source."
        },
        "sha256": {
         "type": "string"
        },
        "size": {
         "type": "integer"
        },
        "url": {
         "type": "string",
         "description": "Download path under /api/2.0/mlflow-artifacts/artifacts/."
        }
       }
      }
     }
    }
   },
   "SubmittedRun": {
    "type": "object",
    "required": [
     "run_id",
     "status"
    ],
    "properties": {
     "run_id": {
      "type": "string"
     },
     "status": {
      "type": "string",
      "enum": [
       "QUEUED"
      ]
     }
    }
   },
   "CancelledRun": {
    "type": "object",
    "required": [
     "run_id",
     "status",
     "previous_status"
    ],
    "properties": {
     "run_id": {
      "type": "string"
     },
     "status": {
      "type": "string",
      "enum": [
       "KILLED"
      ]
     },
     "previous_status": {
      "type": "string",
      "enum": [
       "QUEUED",
       "SCHEDULED",
       "SUBMITTED",
       "RUNNING"
      ]
     }
    }
   },
   "RunEvent": {
    "type": "object",
    "required": [
     "at",
     "to_status",
     "reason"
    ],
    "properties": {
     "at": {
      "type": "string",
      "format": "date-time"
     },
     "from_status": {
      "type": "string",
      "description": "Omitted for the first event (submission)."
     },
     "to_status": {
      "type": "string"
     },
     "reason": {
      "type": "string"
     }
    }
   },
   "RunEventList": {
    "type": "object",
    "required": [
     "items"
    ],
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/RunEvent"
      }
     }
    }
   },
   "ModelPolicy": {
    "type": "object",
    "required": [
     "model",
     "policy"
    ],
    "properties": {
     "model": {
      "type": "string"
     },
     "policy": {
      "type": "string",
      "description": "The promotion policy; empty when the model has none."
     }
    }
   },
   "PromotionDecision": {
    "type": "object",
    "required": [
     "model",
     "version",
     "policy",
     "passed",
     "inputs",
     "clauses",
     "decided_at"
    ],
    "properties": {
     "model": {
      "type": "string"
     },
     "version": {
      "type": "integer"
     },
     "policy": {
      "type": "string"
     },
     "passed": {
      "type": "boolean"
     },
     "inputs": {
      "type": "object",
      "required": [
       "candidate",
       "production",
       "dataset"
      ],
      "properties": {
       "candidate": {
        "type": "object",
        "additionalProperties": {
         "type": "number"
        }
       },
       "production": {
        "type": "object",
        "additionalProperties": {
         "type": "number"
        },
        "description": "Empty when there was no Production version."
       },
       "dataset": {
        "type": "object",
        "additionalProperties": {
         "type": "number"
        }
       }
      }
     },
     "clauses": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "clause",
        "passed",
        "reason"
       ],
       "properties": {
        "clause": {
         "type": "string"
        },
        "passed": {
         "type": "boolean"
        },
        "left": {
         "oneOf": [
          {
           "type": "number"
          },
          {
           "type": "string",
           "enum": [
            "NaN",
            "Infinity",
            "-Infinity"
           ]
          }
         ],
         "description": "Omitted when a name was missing."
        },
        "right": {
         "oneOf": [
          {
           "type": "number"
          },
          {
           "type": "string",
           "enum": [
            "NaN",
            "Infinity",
            "-Infinity"
           ]
          }
         ],
         "description": "Omitted when a name was missing."
        },
        "reason": {
         "type": "string"
        }
       }
      }
     },
     "decided_at": {
      "type": "string",
      "format": "date-time",
      "description": "Whole seconds, e.g. 2025-01-01T12:00:00Z."
     }
    }
   },
   "DaemonStatus": {
    "type": "object",
    "required": [
     "replica",
     "leader",
     "executor",
     "runs"
    ],
    "properties": {
     "replica": {
      "type": "string"
     },
     "leader": {
      "type": "boolean"
     },
     "executor": {
      "type": "string",
      "enum": [
       "local",
       "kubernetes"
      ]
     },
     "runs": {
      "type": "object",
      "additionalProperties": {
       "type": "integer"
      },
      "description": "Run count per status (statuses with no run are absent)."
     }
    }
   },
   "RolloutStep": {
    "oneOf": [
     {
      "type": "object",
      "required": [
       "weight"
      ],
      "additionalProperties": false,
      "properties": {
       "weight": {
        "type": "integer",
        "minimum": 0,
        "maximum": 100
       }
      }
     },
     {
      "type": "object",
      "required": [
       "analysis_seconds"
      ],
      "additionalProperties": false,
      "properties": {
       "analysis_seconds": {
        "type": "integer",
        "minimum": 1
       }
      }
     }
    ]
   },
   "RolloutStepInput": {
    "description": "A weight step ({\"weight\": 0-100}) or an analysis pause ({\"analysis_seconds\": >= 1}); a non-null weight wins over analysis_seconds.",
    "anyOf": [
     {
      "type": "object",
      "required": [
       "weight"
      ],
      "properties": {
       "weight": {
        "type": "integer",
        "minimum": 0,
        "maximum": 100
       }
      }
     },
     {
      "type": "object",
      "required": [
       "analysis_seconds"
      ],
      "properties": {
       "analysis_seconds": {
        "type": "integer",
        "minimum": 1
       },
       "weight": {
        "type": "integer",
        "nullable": true,
        "enum": [
         null
        ]
       }
      }
     }
    ]
   },
   "RolloutEvent": {
    "type": "object",
    "required": [
     "at",
     "step",
     "weight",
     "kind",
     "detail"
    ],
    "properties": {
     "at": {
      "type": "string",
      "format": "date-time",
      "description": "As Postgres renders timestamptz in JSON, e.g. 2025-01-01T12:00:00.123456+00:00."
     },
     "step": {
      "type": "integer"
     },
     "weight": {
      "type": "integer"
     },
     "kind": {
      "type": "string",
      "description": "weight, analysis, manual-promote, paused, resumed, retry, aborted or promoted"
     },
     "detail": {
      "type": "string"
     }
    }
   },
   "Rollout": {
    "type": "object",
    "required": [
     "id",
     "model",
     "stable_version",
     "canary_version",
     "phase",
     "step",
     "steps",
     "weight",
     "failures",
     "reason",
     "step_started_at",
     "events"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "model": {
      "type": "string"
     },
     "stable_version": {
      "type": "integer",
      "nullable": true
     },
     "canary_version": {
      "type": "integer"
     },
     "phase": {
      "type": "string",
      "enum": [
       "Progressing",
       "Paused",
       "Promoted",
       "Aborted"
      ]
     },
     "step": {
      "type": "integer",
      "description": "Index of the current step (equals len(steps) once all are done)."
     },
     "steps": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/RolloutStep"
      }
     },
     "weight": {
      "type": "integer",
      "minimum": 0,
      "maximum": 100
     },
     "failures": {
      "type": "integer"
     },
     "reason": {
      "type": "string"
     },
     "step_started_at": {
      "type": "string",
      "format": "date-time"
     },
     "events": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/RolloutEvent"
      }
     }
    }
   },
   "DriftResult": {
    "type": "object",
    "required": [
     "model",
     "feature",
     "method",
     "dataset",
     "from",
     "to",
     "current_rows",
     "bins"
    ],
    "properties": {
     "model": {
      "type": "string"
     },
     "version": {
      "type": "string",
      "description": "Echoed when given."
     },
     "track": {
      "type": "string",
      "description": "Echoed when given."
     },
     "feature": {
      "type": "string"
     },
     "method": {
      "type": "string",
      "enum": [
       "quantile",
       "evidently"
      ]
     },
     "dataset": {
      "type": "string"
     },
     "from": {
      "type": "string",
      "format": "date-time"
     },
     "to": {
      "type": "string",
      "format": "date-time"
     },
     "psi": {
      "type": "number",
      "description": "Omitted when it cannot be computed (empty window, no reference values)."
     },
     "current_rows": {
      "type": "integer"
     },
     "bins": {
      "type": "integer"
     }
    }
   },
   "FeedbackCreated": {
    "type": "object",
    "required": [
     "id"
    ],
    "properties": {
     "id": {
      "type": "integer"
     }
    }
   },
   "VersionAccuracy": {
    "type": "object",
    "required": [
     "version",
     "labelled",
     "correct",
     "accuracy"
    ],
    "properties": {
     "version": {
      "type": "string"
     },
     "labelled": {
      "type": "integer"
     },
     "correct": {
      "type": "integer"
     },
     "accuracy": {
      "type": "number"
     }
    }
   },
   "VersionAccuracyList": {
    "type": "object",
    "required": [
     "items"
    ],
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/VersionAccuracy"
      }
     }
    }
   },
   "DriftWindow": {
    "type": "object",
    "required": [
     "window_start",
     "window_end",
     "version",
     "track",
     "feature",
     "method",
     "psi",
     "rows"
    ],
    "properties": {
     "window_start": {
      "type": "string",
      "format": "date-time"
     },
     "window_end": {
      "type": "string",
      "format": "date-time"
     },
     "version": {
      "type": "string"
     },
     "track": {
      "type": "string"
     },
     "feature": {
      "type": "string"
     },
     "method": {
      "type": "string",
      "enum": [
       "quantile",
       "evidently"
      ]
     },
     "psi": {
      "type": "number"
     },
     "rows": {
      "type": "integer"
     }
    }
   },
   "DriftWindowList": {
    "type": "object",
    "required": [
     "items"
    ],
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/DriftWindow"
      }
     }
    }
   },
   "AlertRuleSaved": {
    "type": "object",
    "required": [
     "name"
    ],
    "properties": {
     "name": {
      "type": "string"
     }
    }
   },
   "Alert": {
    "type": "object",
    "required": [
     "rule",
     "metric",
     "model",
     "threshold",
     "started_at",
     "ended_at",
     "value"
    ],
    "properties": {
     "rule": {
      "type": "string"
     },
     "metric": {
      "type": "string",
      "enum": [
       "input_psi",
       "error_rate",
       "latency_p99_ms"
      ]
     },
     "model": {
      "type": "string"
     },
     "threshold": {
      "type": "number"
     },
     "started_at": {
      "type": "string",
      "format": "date-time"
     },
     "ended_at": {
      "type": "string",
      "format": "date-time",
      "nullable": true,
      "description": "null while the alert is firing."
     },
     "value": {
      "type": "number"
     }
    }
   },
   "AlertList": {
    "type": "object",
    "required": [
     "items"
    ],
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Alert"
      }
     }
    }
   }
  }
 },
 "paths": {
  "/api/v1/experiments": {
   "get": {
    "summary": "List active experiments",
    "operationId": "listExperiments",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ExperimentPage"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "ILIKE pattern"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000
      }
     },
     {
      "name": "page_token",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ]
   },
   "post": {
    "summary": "Create an experiment; an existing name answers 409 with its id",
    "operationId": "createExperiment",
    "responses": {
     "201": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Experiment"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "name"
        ],
        "properties": {
         "name": {
          "type": "string",
          "minLength": 1,
          "maxLength": 500
         },
         "tags": {
          "type": "object",
          "additionalProperties": {
           "type": "string"
          }
         }
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/runs": {
   "get": {
    "summary": "Search runs (MLflow filter syntax)",
    "operationId": "listRuns",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/RunPage"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "experiment_id",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0
      }
     },
     {
      "name": "filter",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "order_by",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000
      }
     },
     {
      "name": "page_token",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ]
   },
   "post": {
    "summary": "Submit a training run: queued for the executor, audited (operator)",
    "operationId": "submitRun",
    "responses": {
     "201": {
      "description": "Queued",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/SubmittedRun"
        }
       }
      }
     },
     "400": {
      "description": "invalid JSON or field type, dataset not name@version, empty base_model, a NUL character, warm_start_version beyond 32 bits, or a model name that is blank once trimmed",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "unknown dataset, model, or warm_start_version",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "The model's first runs raced to create its experiment (named after the model, trimmed); submitting again succeeds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "model",
         "dataset"
        ],
        "properties": {
         "model": {
          "type": "string",
          "description": "A registered model"
         },
         "dataset": {
          "type": "string",
          "pattern": "[^@]@[\\s\\S]",
          "description": "name@version: split at the first '@' after a non-empty name; the version must be non-empty (otherwise 400)"
         },
         "base_model": {
          "type": "string",
          "nullable": true,
          "description": "Default tiny; must not be empty (400)."
         },
         "params": {
          "type": "object",
          "nullable": true,
          "additionalProperties": true,
          "description": "Free-form training parameters."
         },
         "warm_start_version": {
          "type": "integer",
          "format": "int32",
          "minimum": -2147483648,
          "maximum": 2147483647,
          "nullable": true,
          "description": "An existing version of the model (404 otherwise)."
         },
         "extra_data_uri": {
          "type": "string",
          "nullable": true
         },
         "reason": {
          "type": "string",
          "nullable": true,
          "description": "Default manual."
         }
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/runs/{id}": {
   "get": {
    "summary": "Get a run",
    "operationId": "getRun",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Run"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1
      }
     }
    ]
   }
  },
  "/api/v1/runs/{id}/metrics/{key}": {
   "get": {
    "summary": "A metric's history in step order",
    "operationId": "metricHistory",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/MetricPage"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1
      }
     },
     {
      "name": "key",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1
      }
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 25000
      }
     },
     {
      "name": "page_token",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/api/v1/models": {
   "get": {
    "summary": "List registered models",
    "operationId": "listModels",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/RegisteredModelPage"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "ILIKE pattern"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000
      }
     },
     {
      "name": "page_token",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ]
   },
   "post": {
    "summary": "Register a model name; an existing name answers 409 with its id",
    "operationId": "createModel",
    "responses": {
     "201": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/RegisteredModel"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "name"
        ],
        "properties": {
         "name": {
          "type": "string",
          "minLength": 1,
          "maxLength": 256,
          "pattern": "^[^/]+$"
         },
         "description": {
          "type": "string"
         },
         "tags": {
          "type": "object",
          "additionalProperties": {
           "type": "string"
          }
         },
         "policy": {
          "type": "string",
          "description": "Promotion policy expression"
         }
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/models/{name}": {
   "get": {
    "summary": "Get a registered model",
    "operationId": "getModel",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/RegisteredModel"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     }
    ]
   }
  },
  "/api/v1/models/{name}/versions": {
   "get": {
    "summary": "List a model's versions, newest first",
    "operationId": "listVersions",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ModelVersionPage"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     },
     {
      "name": "stage",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "enum": [
        "None",
        "Staging",
        "Production",
        "Archived"
       ]
      }
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000
      }
     },
     {
      "name": "page_token",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/api/v1/models/{name}/versions/{version}": {
   "get": {
    "summary": "Get a model version",
    "operationId": "getVersion",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ModelVersion"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     },
     {
      "name": "version",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    ]
   }
  },
  "/api/v1/models/{name}/versions/{version}/stage": {
   "post": {
    "summary": "Move a version to a stage (archive_existing moves others in that stage to Archived), audited",
    "operationId": "transitionStage",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ModelVersion"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "stage"
        ],
        "properties": {
         "stage": {
          "type": "string",
          "enum": [
           "None",
           "Staging",
           "Production",
           "Archived"
          ]
         },
         "archive_existing": {
          "type": "boolean"
         }
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     },
     {
      "name": "version",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "minimum": 1
      }
     }
    ]
   }
  },
  "/api/v1/models/{name}/aliases/{alias}": {
   "get": {
    "summary": "The version an alias points at",
    "operationId": "getAlias",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ModelVersion"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     },
     {
      "name": "alias",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     }
    ]
   },
   "put": {
    "summary": "Point an alias at a version (promote: also make it Production and archive the old one), in one transaction",
    "operationId": "setAlias",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ModelVersion"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "version"
        ],
        "properties": {
         "version": {
          "type": "integer",
          "minimum": 1
         },
         "promote": {
          "type": "boolean"
         }
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     },
     {
      "name": "alias",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     }
    ]
   },
   "delete": {
    "summary": "Remove an alias",
    "operationId": "deleteAlias",
    "responses": {
     "204": {
      "description": "No content"
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     },
     {
      "name": "alias",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     }
    ]
   }
  },
  "/api/v1/datasets": {
   "get": {
    "summary": "List dataset versions",
    "operationId": "listDatasets",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/DatasetPage"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000
      }
     },
     {
      "name": "page_token",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ]
   },
   "post": {
    "summary": "Register a dataset version by path (under STEWARD_DATASET_ROOTS): digest, counts, validation, reference profile. 409 with the existing id if it exists; 422 with the report if validation fails.",
    "operationId": "registerDataset",
    "responses": {
     "201": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Dataset"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "name",
         "version",
         "path"
        ],
        "properties": {
         "name": {
          "type": "string",
          "minLength": 1,
          "maxLength": 128,
          "pattern": "^[A-Za-z0-9._-]+$"
         },
         "version": {
          "type": "string",
          "minLength": 1,
          "maxLength": 128,
          "pattern": "^[A-Za-z0-9._-]+$"
         },
         "path": {
          "type": "string",
          "minLength": 1
         },
         "labels": {
          "type": "array",
          "items": {
           "type": "string"
          },
          "minItems": 2
         },
         "max_label_share": {
          "type": "number",
          "minimum": 0.5,
          "maximum": 1
         },
         "max_duplicate_share": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
         }
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/datasets/{name}/{version}": {
   "get": {
    "summary": "Get a dataset version",
    "operationId": "getDataset",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Dataset"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1
      }
     },
     {
      "name": "version",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1
      }
     }
    ]
   },
   "put": {
    "summary": "Upload and register a dataset version (CSV or JSONL body with text and label)",
    "operationId": "uploadDataset",
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[A-Za-z0-9._-]+$"
      }
     },
     {
      "name": "version",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 128,
       "pattern": "^[A-Za-z0-9._-]+$"
      }
     },
     {
      "name": "format",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "enum": [
        "csv",
        "jsonl"
       ]
      }
     },
     {
      "name": "labels",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "comma-separated allowed labels"
     },
     {
      "name": "max_label_share",
      "in": "query",
      "required": false,
      "schema": {
       "type": "number",
       "minimum": 0.5,
       "maximum": 1
      }
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "text/csv": {
       "schema": {
        "type": "string"
       }
      },
      "application/x-ndjson": {
       "schema": {
        "type": "string"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Registered",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Dataset"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/audit": {
   "get": {
    "summary": "The audit log, newest first (admin)",
    "operationId": "audit",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/AuditEntryPage"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "target",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "target prefix"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000
      }
     },
     {
      "name": "page_token",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/api/v1/tokens": {
   "get": {
    "summary": "List API tokens (admin)",
    "operationId": "listTokens",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/TokenPage"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   },
   "post": {
    "summary": "Create a token; the secret is shown once (admin)",
    "operationId": "createToken",
    "responses": {
     "201": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CreatedToken"
        }
       }
      }
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "name",
         "role"
        ],
        "properties": {
         "name": {
          "type": "string",
          "minLength": 1,
          "maxLength": 128,
          "pattern": "^[A-Za-z0-9._-]+$"
         },
         "role": {
          "type": "string",
          "enum": [
           "viewer",
           "operator",
           "admin"
          ]
         }
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/tokens/{name}": {
   "delete": {
    "summary": "Revoke a token (admin)",
    "operationId": "revokeToken",
    "responses": {
     "204": {
      "description": "No content"
     },
     "400": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Error",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1
      }
     }
    ]
   }
  },
  "/api/v1/models/{name}/versions/{version}/files": {
   "get": {
    "summary": "A version's files with digests and download paths, for serving to fetch and verify (viewer). 400 when the version's source is outside this registry.",
    "operationId": "listVersionFiles",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/VersionFiles"
        }
       }
      }
     },
     "400": {
      "description": "version not a positive integer (or beyond 32 bits), or the version's files are outside this registry",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "unknown model or version; no such route (a path parameter holding an encoded '/' or empty)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     },
     {
      "name": "version",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "format": "int32",
       "minimum": 1,
       "maximum": 2147483647
      }
     }
    ]
   }
  },
  "/api/v1/runs/{id}/cancel": {
   "post": {
    "summary": "Cancel a run that has not finished (status KILLED), audited (operator)",
    "operationId": "cancelRun",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CancelledRun"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "unknown run; no such route (a path parameter holding an encoded '/' or empty)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "the run is already FINISHED, FAILED or KILLED",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     }
    ]
   }
  },
  "/api/v1/runs/{id}/events": {
   "get": {
    "summary": "A run's status changes, oldest first (viewer)",
    "operationId": "listRunEvents",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/RunEventList"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "unknown run; no such route (a path parameter holding an encoded '/' or empty)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     }
    ]
   }
  },
  "/api/v1/runs/{id}/logs": {
   "get": {
    "summary": "The last lines of a run's training log, as plain text (empty when there is none) (viewer)",
    "operationId": "getRunLogs",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "description": "tail not an integer in 1...10000",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "unknown run; no such route (a path parameter holding an encoded '/' or empty)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     },
     {
      "name": "tail",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 10000,
       "default": 100
      }
     }
    ]
   }
  },
  "/api/v1/models/{name}/policy": {
   "get": {
    "summary": "A model's promotion policy (empty string when none) (viewer)",
    "operationId": "getPolicy",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ModelPolicy"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "unknown model; no such route (a path parameter holding an encoded '/' or empty)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     }
    ]
   },
   "put": {
    "summary": "Set a model's promotion policy (parsed first; blank clears it), audited (operator)",
    "operationId": "setPolicy",
    "responses": {
     "200": {
      "description": "The policy as stored (trimmed)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ModelPolicy"
        }
       }
      }
     },
     "400": {
      "description": "invalid JSON, missing policy, or a policy that does not parse (checked before the model is looked up)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "unknown model; no such route (a path parameter holding an encoded '/' or empty)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "policy"
        ],
        "properties": {
         "policy": {
          "type": "string",
          "description": "e.g. accuracy >= 0.8 and f1 >= production.f1; empty or blank removes the policy"
         }
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     }
    ]
   }
  },
  "/api/v1/models/{name}/versions/{version}/decision": {
   "get": {
    "summary": "The promotion decision recorded for a version: inputs, per-clause results (viewer)",
    "operationId": "getDecision",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/PromotionDecision"
        }
       }
      }
     },
     "400": {
      "description": "version not an integer (or beyond 32 bits)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "unknown model, or no decision for that version; no such route (a path parameter holding an encoded '/' or empty)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     },
     {
      "name": "version",
      "in": "path",
      "required": true,
      "schema": {
       "type": "integer",
       "format": "int32",
       "minimum": -2147483648,
       "maximum": 2147483647
      },
      "description": "Any 32-bit integer is accepted; one with no decision answers 404."
     }
    ]
   }
  },
  "/api/v1/status": {
   "get": {
    "summary": "This replica, whether it leads, its executor and run counts by status (viewer)",
    "operationId": "getStatus",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/DaemonStatus"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/rollouts": {
   "post": {
    "summary": "Start a canary rollout of a version against the Production one, audited (operator). 409 when the model already has one in progress or the version is Production/Archived.",
    "operationId": "startRollout",
    "responses": {
     "201": {
      "description": "Started",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Rollout"
        }
       }
      }
     },
     "400": {
      "description": "invalid JSON or field, a step out of range, empty steps, or canary_version beyond 32 bits",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "unknown model or version",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "the version is Production or Archived, or the model already has a rollout in progress",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "model",
         "canary_version"
        ],
        "properties": {
         "model": {
          "type": "string"
         },
         "canary_version": {
          "type": "integer",
          "format": "int32",
          "minimum": -2147483648,
          "maximum": 2147483647,
          "description": "Beyond 32 bits: 400"
         },
         "steps": {
          "type": "array",
          "nullable": true,
          "minItems": 1,
          "items": {
           "$ref": "#/components/schemas/RolloutStepInput"
          },
          "description": "Absent or null: the daemon's default plan."
         },
         "analysis": {
          "type": "object",
          "description": "Analysis thresholds; absent or null fields take the defaults shown. No range is checked.",
          "properties": {
           "min_requests": {
            "type": "integer",
            "nullable": true,
            "default": 100
           },
           "max_error_rate_ratio": {
            "type": "number",
            "nullable": true,
            "default": 2.0
           },
           "max_error_rate_delta": {
            "type": "number",
            "nullable": true,
            "default": 0.01
           },
           "max_p99_delta_ms": {
            "type": "number",
            "nullable": true,
            "default": 50.0
           },
           "max_input_psi": {
            "type": "number",
            "nullable": true,
            "default": 0.25
           },
           "max_confidence_psi": {
            "type": "number",
            "nullable": true,
            "default": 0.25
           },
           "failure_limit": {
            "type": "integer",
            "nullable": true,
            "default": 1
           }
          },
          "nullable": true
         }
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/rollouts/{model}": {
   "get": {
    "summary": "A model's latest rollout (any phase) with its events (viewer)",
    "operationId": "getRollout",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Rollout"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "unknown model, or it has no rollout; no such route (a path parameter holding an encoded '/' or empty)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "405": {
      "description": "the model parameter is empty or holds an encoded '/', so the path reaches the POST-only /api/v1/rollouts or /api/v1/rollouts/{model}/{action}",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "model",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     }
    ]
   }
  },
  "/api/v1/rollouts/{model}/{action}": {
   "post": {
    "summary": "Command the latest rollout (operator): promote (skip the current step), promote-full, abort, pause (Progressing only), resume (Paused only) or retry (Aborted only). Not audited as the caller.",
    "operationId": "commandRollout",
    "responses": {
     "200": {
      "description": "The rollout after the command",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Rollout"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "unknown model, no rollout, or unknown action; no such route (a path parameter holding an encoded '/' or empty)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "405": {
      "description": "the action parameter is empty, so the path reaches the GET-only /api/v1/rollouts/{model}",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "the action does not apply in the rollout's phase",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "model",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     },
     {
      "name": "action",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "enum": [
        "promote",
        "promote-full",
        "abort",
        "pause",
        "resume",
        "retry"
       ]
      }
     }
    ]
   }
  },
  "/api/v1/drift": {
   "get": {
    "summary": "PSI of a feature over a window of logged predictions against a dataset's reference, computed in Postgres (viewer)",
    "operationId": "computeDrift",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/DriftResult"
        }
       }
      }
     },
     "400": {
      "description": "model, feature or dataset missing; dataset not name@version; bad method or time; unknown feature (evidently)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "unknown dataset",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "quantile: the dataset has no reference profile for the feature (also for an unknown feature)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "model",
      "in": "query",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "feature",
      "in": "query",
      "required": true,
      "schema": {
       "type": "string"
      },
      "description": "char_length, word_count, oov_share or non_letter_share"
     },
     {
      "name": "dataset",
      "in": "query",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "[^@]@[\\s\\S]",
       "description": "name@version: split at the first '@' after a non-empty name; the version must be non-empty (otherwise 400)"
      }
     },
     {
      "name": "method",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "enum": [
        "quantile",
        "evidently"
       ],
       "default": "quantile"
      }
     },
     {
      "name": "from",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "date-time"
      },
      "description": "ISO 8601; default an hour before to"
     },
     {
      "name": "to",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "date-time"
      },
      "description": "ISO 8601; default now"
     },
     {
      "name": "version",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "track",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/api/v1/feedback": {
   "post": {
    "summary": "Record a true label for a text (with request_id, for the prediction it got), audited (operator). The model is not checked.",
    "operationId": "addFeedback",
    "responses": {
     "201": {
      "description": "Recorded",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/FeedbackCreated"
        }
       }
      }
     },
     "400": {
      "description": "invalid JSON or field type, or a NUL character",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No registered model of that name",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "label not negative/positive, or text not 1-20000 characters",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "model",
         "text",
         "label"
        ],
        "properties": {
         "model": {
          "type": "string"
         },
         "text": {
          "type": "string",
          "minLength": 1,
          "maxLength": 20000
         },
         "label": {
          "type": "string",
          "enum": [
           "negative",
           "positive"
          ]
         },
         "request_id": {
          "type": "string",
          "nullable": true
         }
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/models/{name}/accuracy": {
   "get": {
    "summary": "Live accuracy per version from labelled feedback (empty items for an unknown model) (viewer)",
    "operationId": "getAccuracy",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/VersionAccuracyList"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No registered model of that name (or no such route: a path parameter holding an encoded '/' or empty)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     }
    ]
   }
  },
  "/api/v1/models/{name}/drift": {
   "get": {
    "summary": "The monitor's stored drift windows, newest first (empty items for an unknown model) (viewer)",
    "operationId": "listDriftWindows",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/DriftWindowList"
        }
       }
      }
     },
     "400": {
      "description": "limit not an integer in 1...10000",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No registered model of that name (or no such route: a path parameter holding an encoded '/' or empty)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 10000,
       "default": 40
      }
     }
    ]
   }
  },
  "/api/v1/alert-rules/{name}": {
   "put": {
    "summary": "Create or replace an alert rule, audited (operator). The model is not checked.",
    "operationId": "putAlertRule",
    "responses": {
     "200": {
      "description": "Created or replaced",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/AlertRuleSaved"
        }
       }
      }
     },
     "400": {
      "description": "invalid JSON or field type, unknown metric, for_seconds negative or beyond 32 bits, or a NUL character",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "No registered model of that name (or no such route: a path parameter holding an encoded '/' or empty)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "metric",
         "model",
         "threshold"
        ],
        "properties": {
         "metric": {
          "type": "string",
          "enum": [
           "input_psi",
           "error_rate",
           "latency_p99_ms"
          ]
         },
         "model": {
          "type": "string"
         },
         "threshold": {
          "type": "number"
         },
         "for_seconds": {
          "type": "integer",
          "nullable": true,
          "minimum": 0,
          "maximum": 2147483647,
          "description": "Default 0"
         },
         "enabled": {
          "type": "boolean",
          "nullable": true,
          "description": "Default true"
         }
        }
       }
      }
     }
    },
    "parameters": [
     {
      "name": "name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "pattern": "^[^/]+$"
      }
     }
    ]
   }
  },
  "/api/v1/alerts": {
   "get": {
    "summary": "The 200 newest alerts, firing and resolved (viewer)",
    "operationId": "listAlerts",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/AlertList"
        }
       }
      }
     },
     "401": {
      "description": "No bearer token, or not a valid one",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role is too low",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  }
 }
}
"""#
}
