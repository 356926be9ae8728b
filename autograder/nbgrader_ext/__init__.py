"""The nbgrader plug-ins: autograde preprocessors and exporter, export status column."""
