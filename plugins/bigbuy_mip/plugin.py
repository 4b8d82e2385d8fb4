"""Hook implementations of the BigBuy MIP plugin: carriers per region, fee tables, price rules
(registered by entry point ``bigbuy_mip``)."""
