"""`python -m papertiger`."""

from papertiger.cli import main

main()
