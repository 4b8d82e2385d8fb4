"""Conformance kit for plugin authors: one test class per plugin kind checks every contract.

See ``docs/plugins.md``. The suites are plain pytest classes; the ``channelhub`` pytest plugin
(registered by entry point when channelhub is installed) supplies their fixtures.
"""

from core.testing.carrier import CarrierConformance, carrier_conformance
from core.testing.channel import ChannelConformance, channel_conformance
from core.testing.harness import CarrierHarness, ChannelHarness, PricingHarness
from core.testing.pricing import PricingConformance, pricing_conformance
from core.testing.suite import ConformanceConfigError

__all__ = [
    "CarrierConformance",
    "CarrierHarness",
    "ChannelConformance",
    "ChannelHarness",
    "ConformanceConfigError",
    "PricingConformance",
    "PricingHarness",
    "carrier_conformance",
    "channel_conformance",
    "pricing_conformance",
]
