"""The ``channelhub`` command line: ``channelhub <noun> <verb>``."""
