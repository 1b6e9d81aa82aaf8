"""Intake of files: the readers behind `documents.importing` (see its docstring for the map)."""
