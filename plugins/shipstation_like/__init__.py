"""The shipstation_like plugin for channelhub."""
