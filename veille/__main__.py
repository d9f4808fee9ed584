"""Run the command line with ``python -m veille``."""

from .cli import main

main()
