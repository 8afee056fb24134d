"""A patient's request: validated, stored encrypted, announced without personal data."""
