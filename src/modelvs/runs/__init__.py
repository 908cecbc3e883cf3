"""Outputs comparison runs: endpoints, prompt suites, the streaming client and run storage.

``modelvs run`` sends every prompt of a suite to every chosen OpenAI-compatible endpoint and
stores each finished item in the database. ``modelvs.runs.outputs`` reads the latest outputs
per catalog model for the comparison page.
"""
