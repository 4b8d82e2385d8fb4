"""Built-in channelhub plugins. Each is registered through the ``channelhub`` entry point
group exactly like a third-party plugin; core never imports them by name."""
