"""``python -m core`` is ``channelhub``."""

from core.cli.main import main

main()
