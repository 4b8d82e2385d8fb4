"""Cornershop channel plugin for channelhub."""
