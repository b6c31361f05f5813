"""``python -m parkhq`` runs the command line."""

from parkhq.cli import main

main()
