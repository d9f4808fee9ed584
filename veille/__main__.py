"""Run the command line with ``python -m veille``."""

from veille.cli import main

main()
