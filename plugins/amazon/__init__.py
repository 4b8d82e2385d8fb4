"""The amazon plugin for channelhub."""
