"""The only write path. Each call: policy first, then validation, one transaction, one audit event."""
