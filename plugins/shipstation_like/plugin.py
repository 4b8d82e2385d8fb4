"""Hook implementations of the ShipStation-like fulfilment plugin (entry point
``shipstation_like``)."""
