"""Availability: which visit start times can be booked (pure engine + bounded loader)."""
