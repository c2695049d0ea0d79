"""What everyone can read: the assembly pages and the health check."""
