"""The serving engine: cached rankings, micro-batchers and the loaded model behind the service."""
