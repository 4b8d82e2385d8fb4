"""Background jobs on Dramatiq.

The broker is chosen at start-up (:func:`core.jobs.broker.start`), never at import time:
Redis when ``CHANNELHUB_REDIS_URL`` is set, otherwise an in-process broker served by a worker
thread pool. Actors are thin: they receive ids, open a session, call a service, commit.
"""
