"""The NUT-style driver process: command line, daemon, socket, signals, reload."""
