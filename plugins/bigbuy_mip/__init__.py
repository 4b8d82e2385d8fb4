"""The bigbuy_mip plugin for channelhub."""
