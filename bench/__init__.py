"""cogdb benchmarks: figures printed, never timed tests. Run with `python -m bench …`."""
