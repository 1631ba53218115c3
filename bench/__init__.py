"""Benchmarks: virtual-time simulations of the real handlers, and measurements of the code itself."""
