"""Pure-Python logic shared by the handlers; packaged into every function archive."""
