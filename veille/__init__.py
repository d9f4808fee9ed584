"""veille — a self-hosted watch aggregator for the digital-learning referents of French schools."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/veille-rupn/veille"
