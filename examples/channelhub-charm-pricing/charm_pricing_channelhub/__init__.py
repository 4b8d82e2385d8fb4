"""Charm pricing for channelhub: an example third-party price-rule plugin."""
