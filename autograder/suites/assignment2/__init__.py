"""Hidden suites of assignment 2: backprop, layers."""
