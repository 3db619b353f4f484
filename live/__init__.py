"""Real servers as conformance targets (`make conformance-zenml-live`), kept apart from the project's `.venv`."""
