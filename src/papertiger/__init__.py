"""papertiger."""
