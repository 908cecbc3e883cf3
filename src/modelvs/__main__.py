"""``python -m modelvs`` runs the command-line interface."""

from modelvs.cli import main

main()
