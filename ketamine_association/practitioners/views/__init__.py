"""The practitioners' pages, one module per subject (see services/)."""
