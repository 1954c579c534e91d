"""The reliability suites of `make soak`: faults (faults.py) and load (load.py)."""
