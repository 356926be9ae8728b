"""Hidden suites of assignment 3: conv_layers, conv_nets."""
