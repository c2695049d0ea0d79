"""The organisers' area: assemblies and their settings."""
