"""`python -m service ...` runs the CLI."""

from service.launch import main

main()
