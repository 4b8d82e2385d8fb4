"""Use cases, one module each. Services take a session and ids; they do no I/O of their own
beyond the database and the plugin connectors they are handed."""
