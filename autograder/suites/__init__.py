"""Hidden test suites, one package per assignment, one module per notebook. Never released."""
