"""Views: consultation requests, one module per side (see services/)."""
