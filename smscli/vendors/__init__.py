"""Vendor plug-ins: each turns Messages into vendor requests (see ``base.Vendor``)."""
