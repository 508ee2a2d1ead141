"""`python -m cogdb …` runs the CLI (as the `cogdb` console script does)."""
from .cli import main

main(prog_name="cogdb")
