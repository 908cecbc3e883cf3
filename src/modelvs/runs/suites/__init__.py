"""Prompt suites that ship with modelvs, and the script that draws their images."""
