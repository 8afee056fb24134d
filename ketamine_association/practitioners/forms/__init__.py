from .applications import ApplicationForm

__all__ = ["ApplicationForm"]
