"""Forms: claims."""
