"""Steward's trainer: bundled data, fine-tuning, ONNX export, reporting through the mlflow client."""
