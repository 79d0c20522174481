"""``python -m dingmi_training`` runs ``dingmi-train``."""

from dingmi_training.cli import main

main()
