"""channelhub core: domain model, plugin manager, sync engine and jobs.

Core never imports a plugin: every channel, carrier and pricing plugin reaches it through the
hook specs in :mod:`core.hookspecs`, discovered from the ``channelhub`` entry point group.
"""

__version__ = "0.1.0"
