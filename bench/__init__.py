"""Load benchmarks of cairn against a minimal baseline ASGI app (`python -m bench`, see README.md)."""
