"""``python -m dingmi`` runs the command line."""

from dingmi.cli import main

main()
