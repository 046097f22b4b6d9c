"""``python -m smscli``."""

from smscli.cli.main import main

if __name__ == "__main__":
    main()
