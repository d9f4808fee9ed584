"""veille — a self-hosted watch aggregator for French secondary schools' digital-learning referents."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/veille-rupn/veille"
