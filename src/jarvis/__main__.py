"""Entry point for `python -m jarvis`."""

from jarvis.cli import main

main()
