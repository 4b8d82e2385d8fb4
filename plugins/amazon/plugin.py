"""Hook implementations of the Amazon channel plugin (registered by entry point ``amazon``)."""
