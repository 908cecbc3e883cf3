"""Importers that turn outside data (the Hugging Face Hub, harness results, price lists and
change files) into reviewable edits of the catalog under ``data/``."""
