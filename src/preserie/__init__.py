"""preserie: run and judge the présérie of an ordonnance numérique module."""

__version__ = "0.1.0"
