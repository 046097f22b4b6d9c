"""The thin command-line layer: parse options, call the library, render results."""
